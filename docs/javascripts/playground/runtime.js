// The exported models (docs/onnx.md) on onnxruntime-web's WASM backend: a diffusion model (UNet, and for
// latent models the autoencoder's decoder and encoder) and a StyleGAN (mapping and synthesis).
// Threads only when the page is cross-origin isolated (SharedArrayBuffer); one otherwise.
"use strict";
var GV = window.GV || (window.GV = {});

GV.runtime = (function () {
  var ORT = "assets/vendor/onnxruntime-web/";
  var started = null;

  // onnxruntime-web with its binary handed over as bytes and its Emscripten module imported from a blob: URL,
  // so that nothing needs fetch() or a module script from file:// (Chrome forbids both there).
  function start() {
    if (!started) {
      started = (async function () {
        var wasm = await GV.assets.bytes(ORT + "ort-wasm-simd-threaded.wasm.gz");
        var glue = await GV.assets.text(ORT + "ort-wasm-simd-threaded.mjs.gz");
        ort.env.wasm.wasmBinary = wasm;
        ort.env.wasm.wasmPaths = { mjs: URL.createObjectURL(new Blob([glue], { type: "text/javascript" })) };
        ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
        return ort.env.wasm.numThreads;
      })();
    }
    return started;
  }

  async function session(folder, manifest, graph) {
    await start();
    var bytes = await GV.assets.bytes(folder + "/" + manifest.graphs[graph].file + ".gz");
    try {
      return await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    } catch (e) {
      // onnxruntime-web may fail with a bare number: say which graph it was
      throw new Error("onnxruntime-web could not open " + folder + "/" + graph + ".onnx: " + (e && e.message ? e.message : e));
    }
  }

  async function run(sess, name, feeds) {
    try {
      return await sess.run(feeds);
    } catch (e) {
      throw new Error("onnxruntime-web failed running " + name + ": " + (e && e.message ? e.message : e));
    }
  }

  function tensor(type, data, dims) { return new ort.Tensor(type, data, dims); }
  function int64(values) { return BigInt64Array.from(values, function (v) { return BigInt(v); }); }
  function size(shape) { return shape.reduce(function (a, b) { return a * b; }, 1); }

  // ---- diffusion ------------------------------------------------------------------------------------------
  async function Diffusion(name) {
    var folder = "playground/models/" + name;
    var manifest = await GV.assets.json(folder + "/manifest.json.gz");
    var d = manifest.diffusion, arrays = {};
    for (var key in d.arrays) arrays[key] = await GV.assets.array(folder, d.arrays[key]);
    var latent = d.latent.shape, image = manifest.image.shape;
    var model = {
      name: name, manifest: manifest, kind: manifest.kind, latentShape: latent, imageShape: image,
      classNames: manifest.class_names || [], captions: d.captions ? d.captions.prompts : [],
      defaults: d.sampling, threads: await start(),
      unet: await session(folder, manifest, "unet"),
      decoder: manifest.graphs.decoder ? await session(folder, manifest, "decoder") : null,
      encoder: null, // opened on first inpainting
    };
    var inputs = manifest.graphs.unet.inputs.map(function (i) { return i.name; });
    var text = d.conditioning.text, L = text ? text.max_length : 0;
    var D = text ? arrays.null_context.length / L : 0;

    // the UNet's inputs for rows of (class label | null, caption index | null)
    function conditions(rows) {
      var B = rows.length, feeds = {};
      if (inputs.indexOf("class_labels") >= 0) {
        feeds.class_labels = tensor("int64", int64(rows.map(function (r) {
          return r.label === null ? d.conditioning.null_class : r.label;
        })), [B]);
      }
      if (inputs.indexOf("context") >= 0) {
        var ctx = new Float32Array(B * L * D), mask = new Uint8Array(B * L), pooled = new Float32Array(B * D);
        rows.forEach(function (r, b) {
          if (r.caption === null) {
            ctx.set(arrays.null_context, b * L * D); mask.fill(1, b * L, (b + 1) * L); pooled.set(arrays.null_pooled, b * D);
          } else {
            ctx.set(arrays.caption_tokens.subarray(r.caption * L * D, (r.caption + 1) * L * D), b * L * D);
            mask.set(arrays.caption_mask.subarray(r.caption * L, (r.caption + 1) * L), b * L);
            pooled.set(arrays.caption_pooled.subarray(r.caption * D, (r.caption + 1) * D), b * D);
          }
        });
        feeds.context = tensor("float32", ctx, [B, L, D]);
        feeds.context_mask = tensor("bool", mask, [B, L]);
        if (inputs.indexOf("pooled") >= 0) feeds.pooled = tensor("float32", pooled, [B, D]);
      }
      if (inputs.indexOf("extra") >= 0) {
        var shape = manifest.graphs.unet.inputs[inputs.indexOf("extra")].shape.slice(1);
        feeds.extra = tensor("float32", new Float32Array(B * size(shape)), [B].concat(shape));
      }
      return feeds;
    }

    // unet(x, t) with classifier-free guidance: one batch of 2B rows [null; condition] when guided
    function denoiser(count, cond, scale) {
      var guided = scale !== 1 && (cond.label !== null || cond.caption !== null);
      var nul = { label: null, caption: null }, rows = [];
      for (var k = 0; k < count; k++) rows.push(cond);
      var feeds = conditions(guided ? rows.map(function () { return nul; }).concat(rows) : rows);
      var B = guided ? 2 * count : count, per = size(latent);
      return async function (x, t) {
        var input = x;
        if (guided) { input = new Float32Array(B * per); input.set(x); input.set(x, count * per); }
        feeds.x = tensor("float32", input, [B].concat(latent));
        feeds.t = tensor("int64", new BigInt64Array(B).fill(BigInt(t)), [B]);
        var out = (await run(model.unet, "unet", feeds)).prediction.data;
        return guided ? GV.diffusion.guide(out, scale) : out;
      };
    }

    // scaled latents [N, *latent] -> images [N, *image] clipped to [-1, 1]
    model.decode = async function (z, count) {
      var y;
      if (!model.decoder) y = Float32Array.from(z);
      else {
        var u = new Float32Array(z.length);
        for (var i = 0; i < z.length; i++) u[i] = z[i] / d.latent.scale;
        y = (await run(model.decoder, "decoder", { latents: tensor("float32", u, [count].concat(latent)) })).images.data;
      }
      return y.map(function (v) { return Math.min(1, Math.max(-1, v)); });
    };

    model.encode = async function (images, count) {
      if (!manifest.graphs.encoder) return Float32Array.from(images);
      if (!model.encoder) model.encoder = await session(folder, manifest, "encoder");
      var z = (await run(model.encoder, "encoder", { images: tensor("float32", images, [count].concat(image)) })).latents.data;
      return z.map(function (v) { return v * d.latent.scale; });
    };

    // o: {count, seed, label, caption, sampler, steps, spacing, eta, guidance, noise (x_T), preview, onStep}
    model.sample = async function (o) {
      var count = o.count, per = size(latent), sampler = o.sampler || d.sampling.sampler;
      var steps = o.steps || d.sampling.steps;
      var x = o.noise ? Float32Array.from(o.noise) : GV.rng.normal(o.seed, 0, count, per);
      var rng = GV.rng.generator(o.seed, 1 << 30); // the noise of stochastic steps
      return GV.diffusion.sample({
        unet: denoiser(count, { label: o.label, caption: o.caption }, o.guidance === undefined ? d.sampling.guidance : o.guidance),
        alphaBar: arrays.alphas_cumprod, pairs: GV.diffusion.timesteps(d.num_timesteps, steps, o.spacing || d.sampling.spacing),
        sampler: sampler, eta: o.eta === undefined ? d.sampling.eta || 0 : o.eta, prediction: d.prediction, clip: d.clip_x0, x: x,
        noise: function () { var z = new Float32Array(count * per); rng.normal(z, 0, z.length); return z; },
        onStep: o.onStep,
      }).then(function (z0) { return model.decode(z0, count); });
    };

    // images [N, *image] in [-1, 1] and fill [N, H, W] (1 = paint): DDIM (η = 0) with the known region taken
    // from the forward-noised encoding after every step; decoded, then composited in pixels.
    model.inpaint = async function (o) {
      var count = o.count, H = image[1], W = image[2], C = image[0], h = latent[1], w = latent[2];
      var hole = new Float32Array(o.images.length);
      for (var i = 0; i < hole.length; i++) hole[i] = o.fill[i % (H * W) + Math.floor(i / (C * H * W)) * H * W] ? 0 : o.images[i];
      var z0 = await model.encode(model.decoder ? hole : o.images, count);
      var keep = new Float32Array(count * h * w); // 1 - max-pool(fill) over adaptive bins
      for (var n = 0; n < count; n++) for (var r = 0; r < h; r++) for (var c = 0; c < w; c++) {
        var any = 0;
        for (var y = Math.floor((r * H) / h); y < Math.ceil(((r + 1) * H) / h); y++)
          for (var x = Math.floor((c * W) / w); x < Math.ceil(((c + 1) * W) / w); x++) any |= o.fill[n * H * W + y * W + x];
        keep[n * h * w + r * w + c] = any ? 0 : 1;
      }
      var per = size(latent), rng = GV.rng.generator(o.seed, 1 << 30);
      var z = await GV.diffusion.sample({
        unet: denoiser(count, { label: o.label, caption: o.caption }, o.guidance),
        alphaBar: arrays.alphas_cumprod, pairs: GV.diffusion.timesteps(d.num_timesteps, o.steps, d.sampling.spacing),
        sampler: "ddim", eta: 0, prediction: d.prediction, clip: d.clip_x0,
        x: GV.rng.normal(o.seed, 0, count, per),
        after: function (i, x, s) {
          var ab = s < 0 ? 1 : arrays.alphas_cumprod[s], a = Math.sqrt(ab), sd = Math.sqrt(1 - ab);
          var noise = new Float32Array(x.length); if (s >= 0) rng.normal(noise, 0, noise.length);
          for (var j = 0; j < x.length; j++) {
            var k = keep[Math.floor(j / per) * h * w + (j % (h * w))];
            x[j] = k * (a * z0[j] + sd * noise[j]) + (1 - k) * x[j];
          }
          return x;
        },
        onStep: o.onStep,
      });
      var out = await model.decode(z, count);
      for (var p = 0; p < out.length; p++) {
        if (!o.fill[p % (H * W) + Math.floor(p / (C * H * W)) * H * W]) out[p] = o.images[p];
      }
      return out;
    };
    return model;
  }

  // ---- StyleGAN -------------------------------------------------------------------------------------------
  async function StyleGAN(name) {
    var folder = "playground/models/" + name;
    var manifest = await GV.assets.json(folder + "/manifest.json.gz");
    var g = manifest.stylegan;
    var wAvg = await GV.assets.array(folder, g.arrays.w_avg);
    var directions = await GV.assets.array(folder, g.arrays.directions);
    var model = {
      name: name, manifest: manifest, kind: manifest.kind, imageShape: manifest.image.shape,
      classNames: manifest.class_names || [], directions: g.directions.names, threads: await start(),
      mapping: await session(folder, manifest, "mapping"),
      synthesis: await session(folder, manifest, "synthesis"),
      ws: null, count: 0,
    };
    var mapsLabels = manifest.graphs.mapping.inputs.some(function (i) { return i.name === "class_labels"; });

    // codes w for z of (seed, k), truncated toward w̄ by ψ; o: {count, seed, label, truncation, z}
    model.map = async function (o) {
      var count = o.count, z = o.z ? Float32Array.from(o.z) : GV.rng.normal(o.seed, 0, count, g.z_dim);
      var feeds = { z: tensor("float32", z, [count, g.z_dim]) };
      if (mapsLabels) {
        var labels = [];
        for (var k = 0; k < count; k++) labels.push(o.label === null || o.label === undefined ? k % g.num_classes : o.label);
        feeds.class_labels = tensor("int64", int64(labels), [count]);
      }
      var w = (await run(model.mapping, "mapping", feeds)).w.data, psi = o.truncation === undefined ? 1 : o.truncation;
      for (var i = 0; i < w.length; i++) w[i] = wAvg[i % g.w_dim] + psi * (w[i] - wAvg[i % g.w_dim]);
      model.ws = w; model.count = count;
      return w;
    };

    // images of the current codes moved by Σ α_k n_k (alphas: {direction name: α}) on every style row
    model.synthesize = async function (alphas) {
      var count = model.count, ws = new Float32Array(count * g.num_ws * g.w_dim);
      var shift = new Float32Array(g.w_dim);
      g.directions.names.forEach(function (name, k) {
        var a = (alphas && alphas[name]) || 0;
        for (var j = 0; a && j < g.w_dim; j++) shift[j] += a * directions[k * g.w_dim + j];
      });
      for (var n = 0; n < count; n++) for (var r = 0; r < g.num_ws; r++) for (var j = 0; j < g.w_dim; j++) {
        ws[(n * g.num_ws + r) * g.w_dim + j] = model.ws[n * g.w_dim + j] + shift[j];
      }
      var y = (await run(model.synthesis, "synthesis", { ws: tensor("float32", ws, [count, g.num_ws, g.w_dim]) })).images.data;
      return y.map(function (v) { return Math.min(1, Math.max(-1, v)); });
    };

    model.sample = async function (o) {
      await model.map(o);
      return model.synthesize(o.alphas);
    };
    return model;
  }

  return {
    start: start,
    load: function (name, kind) { return kind === "stylegan" ? StyleGAN(name) : Diffusion(name); },
  };
})();
