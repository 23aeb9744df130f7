// The playground page (docs/playground.md): pick a model and a condition, sample a grid that fills in step
// by step, paint a hole into a test image and inpaint it, move a StyleGAN's edit directions.
// State for tests and curious readers: GV.playground (model, last run's timing, the grid's images).
"use strict";
var GV = window.GV || (window.GV = {});

GV.playground = (function () {
  var $ = function (id) { return document.getElementById(id); };
  var state = { model: null, loading: null, busy: false, images: null, lastRun: null, alphas: {} };
  var SCALE = 4; // grid pixels per image pixel

  function setStatus(text, kind) {
    $("gv-status").textContent = text;
    $("gv-playground").dataset.state = kind;
  }

  function progress(done, total) {
    $("gv-progress").max = total;
    $("gv-progress").value = done;
  }

  // images [N, C, H, W] in [-1, 1] -> a square grid on `canvas` (round((x + 1) 127.5), as genvision saves)
  function draw(canvas, images, count, shape, columns) {
    var C = shape[0], H = shape[1], W = shape[2];
    columns = columns || Math.ceil(Math.sqrt(count));
    var rows = Math.ceil(count / columns), pad = 1;
    canvas.width = columns * (W + pad) - pad; canvas.height = rows * (H + pad) - pad;
    canvas.style.width = canvas.width * SCALE + "px";
    var ctx = canvas.getContext("2d"), out = ctx.createImageData(canvas.width, canvas.height);
    for (var n = 0; n < count; n++) {
      var ox = (n % columns) * (W + pad), oy = Math.floor(n / columns) * (H + pad);
      for (var y = 0; y < H; y++) for (var x = 0; x < W; x++) {
        var p = ((oy + y) * canvas.width + ox + x) * 4;
        for (var c = 0; c < 3; c++) {
          var v = images[((n * C + (C === 3 ? c : 0)) * H + y) * W + x];
          out.data[p + c] = Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
        }
        out.data[p + 3] = 255;
      }
    }
    ctx.putImageData(out, 0, 0);
  }

  function value(id) { return Number($(id).value); }

  // the condition select: "", "class:K" or "caption:P"
  function condition() {
    var v = $("gv-condition").value, parts = v.split(":");
    return { label: parts[0] === "class" ? Number(parts[1]) : null, caption: parts[0] === "caption" ? Number(parts[1]) : null };
  }

  function fillConditions(model) {
    var select = $("gv-condition");
    select.innerHTML = "";
    var add = function (group, label, val) {
      var o = document.createElement("option"); o.textContent = label; o.value = val; group.appendChild(o);
    };
    var none = document.createElement("optgroup"); none.label = "No condition";
    add(none, model.kind === "stylegan" ? "class k mod 10 for image k" : "unconditional", "");
    select.appendChild(none);
    if (model.classNames.length && (model.kind === "stylegan" || model.manifest.diffusion.conditioning.num_classes)) {
      var classes = document.createElement("optgroup"); classes.label = "Class";
      model.classNames.forEach(function (name, k) { add(classes, name, "class:" + k); });
      select.appendChild(classes);
    }
    if (model.captions && model.captions.length) {
      var captions = document.createElement("optgroup"); captions.label = "Caption (from the caption set)";
      model.captions.forEach(function (text, k) { add(captions, text, "caption:" + k); });
      select.appendChild(captions);
    }
  }

  function showControls(model) {
    var diffusion = model.kind !== "stylegan";
    document.querySelectorAll(".gv-diffusion").forEach(function (e) { e.hidden = !diffusion; });
    document.querySelectorAll(".gv-stylegan").forEach(function (e) { e.hidden = diffusion; });
    if (diffusion) {
      $("gv-sampler").value = model.defaults.sampler;
      $("gv-steps").value = model.defaults.steps;
      $("gv-guidance").value = model.defaults.guidance;
      $("gv-preview").checked = !model.decoder; // free in pixel space: x̂0 is an image
    } else {
      var box = $("gv-sliders");
      box.innerHTML = ""; state.alphas = {};
      model.directions.forEach(function (name) {
        var label = document.createElement("label"), slider = document.createElement("input");
        var shown = document.createElement("output");
        slider.type = "range"; slider.min = -8; slider.max = 8; slider.step = 0.5; slider.value = 0;
        slider.dataset.direction = name;
        shown.textContent = "0";
        slider.addEventListener("input", function () {
          state.alphas[name] = Number(slider.value);
          shown.textContent = slider.value;
          edit();
        });
        label.textContent = name + " ";
        label.appendChild(slider);
        label.appendChild(shown);
        box.appendChild(label);
      });
    }
  }

  async function load(name) {
    setStatus("loading " + name + " …", "loading");
    var started = performance.now(), kind = name.indexOf("stylegan") >= 0 ? "stylegan" : "diffusion";
    state.model = null;
    state.loading = GV.runtime.load(name, kind);
    try {
      var model = await state.loading;
      state.model = model;
      fillConditions(model);
      showControls(model);
      if (model.kind !== "stylegan") await loadTestImages();
      setStatus(name + " loaded in " + ((performance.now() - started) / 1000).toFixed(1) + " s (" +
        (GV.assets.downloaded / 1e6).toFixed(1) + " MB downloaded, " + model.threads + " thread" +
        (model.threads > 1 ? "s" : "") + ")", "ready");
      return model;
    } catch (e) {
      setStatus(String(e.message || e), "error");
      throw e;
    }
  }

  // Sample a grid; o overrides the controls (tests give `noise`, the initial x_T, to compare with Python)
  async function sample(o) {
    var model = state.model, count = 16, cond = condition();
    o = Object.assign({
      count: count, seed: value("gv-seed"), label: cond.label, caption: cond.caption,
      sampler: $("gv-sampler").value, steps: value("gv-steps"), guidance: value("gv-guidance"),
      truncation: value("gv-truncation"), alphas: state.alphas,
    }, o || {});
    state.busy = true;
    setStatus("sampling …", "busy");
    var started = performance.now(), shape = model.imageShape;
    try {
      var images;
      if (model.kind === "stylegan") {
        progress(0, 1);
        images = await model.sample(o);
        progress(1, 1);
      } else {
        var total = o.steps;
        progress(0, total);
        images = await model.sample(Object.assign({}, o, {
          onStep: async function (i, x, x0) {
            progress(i + 1, total);
            if (i + 1 < total && $("gv-preview").checked) draw($("gv-grid"), await model.decode(x0, o.count), o.count, shape);
            await new Promise(requestAnimationFrame); // let the page paint
          },
        }));
      }
      draw($("gv-grid"), images, o.count, shape);
      var ms = performance.now() - started;
      state.images = images;
      state.lastRun = { ms: ms, count: o.count, model: model.name };
      setStatus(o.count + " samples in " + (ms / 1000).toFixed(2) + " s", "done");
      return images;
    } catch (e) {
      setStatus(String(e.message || e), "error");
      throw e;
    } finally {
      state.busy = false;
    }
  }

  var pending = null;
  async function edit() {
    if (!state.model || state.model.kind !== "stylegan" || !state.model.ws) return;
    if (pending) { pending.again = true; return; }
    pending = { again: false };
    try {
      do {
        pending.again = false;
        var started = performance.now();
        var images = await state.model.synthesize(state.alphas);
        draw($("gv-grid"), images, state.model.count, state.model.imageShape);
        state.images = images;
        setStatus("edited in " + (performance.now() - started).toFixed(0) + " ms", "done");
      } while (pending.again);
    } finally {
      pending = null;
    }
  }

  // ---- inpainting: a held-out test image, a brush that marks the fill mask, the result beside it ---------
  var paint = { images: null, index: 0, fill: null, down: false };

  async function loadTestImages() {
    if (paint.images) return;
    paint.images = await GV.assets.bytes("playground/test-images.bin.gz"); // uint8 [N, 28, 28]
    var picker = $("gv-test-image");
    picker.innerHTML = "";
    for (var k = 0; k < paint.images.length / 784; k++) {
      var o = document.createElement("option"); o.value = k; o.textContent = "test image " + k; picker.appendChild(o);
    }
    choose(0);
  }

  function choose(k) {
    paint.index = k; paint.fill = new Uint8Array(784);
    redrawBrush();
  }

  function testImage() {
    var x = new Float32Array(784);
    for (var i = 0; i < 784; i++) x[i] = paint.images[paint.index * 784 + i] / 127.5 - 1;
    return x;
  }

  function redrawBrush() {
    var x = testImage();
    for (var i = 0; i < 784; i++) if (paint.fill[i]) x[i] = 0; // the hole in grey
    draw($("gv-brush"), x, 1, [1, 28, 28]);
    $("gv-brush").style.width = "280px";
  }

  function brushAt(event) {
    var box = $("gv-brush").getBoundingClientRect(), r = value("gv-brush-size") / 2;
    var cx = ((event.clientX - box.left) / box.width) * 28, cy = ((event.clientY - box.top) / box.height) * 28;
    for (var y = 0; y < 28; y++) for (var x = 0; x < 28; x++) {
      if ((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy) <= r * r) paint.fill[y * 28 + x] = 1;
    }
    redrawBrush();
  }

  async function inpaint(o) {
    var model = state.model, cond = condition();
    o = Object.assign({ count: 1, seed: value("gv-seed"), steps: 25, guidance: value("gv-guidance"),
      label: cond.label, caption: cond.caption, images: testImage(), fill: paint.fill }, o || {});
    setStatus("inpainting …", "busy");
    progress(0, o.steps);
    var started = performance.now();
    try {
      var out = await model.inpaint(Object.assign({}, o, {
        onStep: async function (i) { progress(i + 1, o.steps); await new Promise(requestAnimationFrame); },
      }));
      draw($("gv-inpainted"), out, 1, [1, 28, 28]);
      $("gv-inpainted").style.width = "280px";
      setStatus("inpainted in " + ((performance.now() - started) / 1000).toFixed(2) + " s", "done");
      return out;
    } catch (e) {
      setStatus(String(e.message || e), "error");
      throw e;
    }
  }

  function init() {
    if (!$("gv-playground")) return;
    $("gv-model").addEventListener("change", function () { load($("gv-model").value); });
    $("gv-run").addEventListener("click", function () { if (state.model && !state.busy) sample(); });
    $("gv-test-image").addEventListener("change", function () { choose(Number($("gv-test-image").value)); });
    $("gv-clear").addEventListener("click", function () { choose(paint.index); });
    $("gv-inpaint").addEventListener("click", function () { if (state.model && !state.busy) inpaint(); });
    var brush = $("gv-brush");
    brush.addEventListener("pointerdown", function (e) { paint.down = true; brushAt(e); });
    brush.addEventListener("pointermove", function (e) { if (paint.down) brushAt(e); });
    window.addEventListener("pointerup", function () { paint.down = false; });
    var asked = new URLSearchParams(location.search).get("model"); // playground/?model=fashion-stylegan
    if (asked && $("gv-model").querySelector("option[value='" + asked + "']")) $("gv-model").value = asked;
    load($("gv-model").value).catch(function () {});
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  return { state: state, load: load, sample: sample, inpaint: inpaint, edit: edit, paint: paint, choose: choose };
})();
