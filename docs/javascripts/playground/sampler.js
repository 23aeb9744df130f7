// The diffusion samplers of genvision (src/genvision/diffusion/samplers), in JavaScript over flat Float32Arrays,
// as docs/onnx.md states them. The network is a function unet(x, t) -> Promise<prediction> (guidance applied).
//
//   timesteps: trailing t_i = round(T - i T/n) - 1, leading (n-1-i) floor(T/n), linspace round((T-1)(1 - i/(n-1)))
//   x̂0, ε̂ from the prediction: eps: x̂0 = (x - σ ε)/a;  x0: ε̂ = (x - a x̂0)/σ;  v: x̂0 = a x - σ v, ε̂ = σ x + a v
//   ddim (η):  x_s = √ᾱ_s x̂0 + √(1 - ᾱ_s - σ_η²) ε̂ + σ_η z,   σ_η = η √((1-ᾱ_s)/(1-ᾱ_t)) √(1 - ᾱ_t/ᾱ_s)
//   dpmpp (DPM-Solver++ 2M): x_u = (σ_u/σ_s) x + α_u (1 - e^{-h}) D,  D = (1 + 1/2r) x̂0 - 1/2r x̂0_prev
//   ddpm (ancestral): μ = √ᾱ_s β/(1-ᾱ_t) x̂0 + √α (1-ᾱ_s)/(1-ᾱ_t) x,  x_s = μ + √(β (1-ᾱ_s)/(1-ᾱ_t)) z
// Step coefficients are computed in float64, as in Python; ᾱ_{-1} = 1 (clean data).
"use strict";
var GV = window.GV || (window.GV = {});

GV.rng = (function () {
  // One generator per (seed, image index), so image k never depends on the batch: a 32-bit hash of both
  // seeds mulberry32, and Box–Muller turns its uniforms into N(0, 1) draws. (Not torch's generator: to
  // compare with Python, give the page the same initial noise.)
  function hash(a, b) {
    var h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
    h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b);
    return (h ^ (h >>> 16)) >>> 0;
  }
  function generator(seed, index) {
    var state = hash(seed >>> 0, index >>> 0);
    var uniform = function () {
      state = (state + 0x6d2b79f5) >>> 0;
      var t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296; // in (0, 1)
    };
    return {
      normal: function (out, offset, count) {
        for (var i = 0; i < count; i += 2) {
          var r = Math.sqrt(-2 * Math.log(uniform())), phi = 2 * Math.PI * uniform();
          out[offset + i] = r * Math.cos(phi);
          if (i + 1 < count) out[offset + i + 1] = r * Math.sin(phi);
        }
      },
    };
  }
  return {
    generator: generator,
    // [count, size] standard normal values, image k from generator (seed, start + k)
    normal: function (seed, start, count, size) {
      var out = new Float32Array(count * size);
      for (var k = 0; k < count; k++) generator(seed, start + k).normal(out, k * size, size);
      return out;
    },
  };
})();

GV.diffusion = (function () {
  function timesteps(T, steps, spacing) {
    var ts = [];
    for (var i = 0; i < steps; i++) {
      if (spacing === "leading") ts.push((steps - 1 - i) * Math.floor(T / steps));
      else if (spacing === "linspace") ts.push(steps === 1 ? T - 1 : Math.round((T - 1) * (1 - i / (steps - 1))));
      else ts.push(Math.round(T - (i * T) / steps) - 1); // trailing
    }
    return ts.map(function (t, i) { return [t, i + 1 < ts.length ? ts[i + 1] : -1]; });
  }

  // x̂0 and ε̂ (float32, as Python computes them) from a prediction at ᾱ_t
  function x0Eps(x, out, abT, prediction, clip) {
    var a = Math.fround(Math.sqrt(abT)), s = Math.fround(Math.sqrt(1 - abT));
    var n = x.length, x0 = new Float32Array(n), eps = new Float32Array(n);
    for (var i = 0; i < n; i++) {
      if (prediction === "eps") { eps[i] = out[i]; x0[i] = (x[i] - s * out[i]) / a; }
      else if (prediction === "x0") { x0[i] = out[i]; eps[i] = (x[i] - a * out[i]) / s; }
      else { x0[i] = a * x[i] - s * out[i]; eps[i] = s * x[i] + a * out[i]; }
      if (clip !== null && clip !== undefined) {
        x0[i] = Math.min(clip, Math.max(-clip, x0[i]));
        eps[i] = (x[i] - a * x0[i]) / s;
      }
    }
    return [x0, eps];
  }

  function ddimStep(x, x0, eps, abT, abS, eta, z) {
    var sigma = z ? eta * Math.sqrt(((1 - abS) / (1 - abT)) * (1 - abT / abS)) : 0;
    var cx = Math.sqrt(abS), ce = Math.sqrt(Math.max(0, 1 - abS - sigma * sigma));
    var y = new Float32Array(x.length);
    for (var i = 0; i < x.length; i++) y[i] = cx * x0[i] + ce * eps[i] + (z ? sigma * z[i] : 0);
    return y;
  }

  function ddpmStep(x, x0, abT, abS, z) {
    var alpha = abT / abS, beta = 1 - alpha;
    var c0 = (Math.sqrt(abS) * beta) / (1 - abT), ct = (Math.sqrt(alpha) * (1 - abS)) / (1 - abT);
    var sigma = z ? Math.sqrt((beta * (1 - abS)) / (1 - abT)) : 0;
    var y = new Float32Array(x.length);
    for (var i = 0; i < x.length; i++) y[i] = c0 * x0[i] + ct * x[i] + (z ? sigma * z[i] : 0);
    return y;
  }

  function dpmppStep(x, x0, abT, abS, history) {
    var aS = Math.sqrt(abT), sS = Math.sqrt(1 - abT), aU = Math.sqrt(abS), sU = Math.sqrt(1 - abS);
    var lamS = Math.log(aS) - Math.log(sS);
    var expNegH = (sU * aS) / (aU * sS); // e^{-h}, 0 at the last step
    var c1 = 1, c2 = 0;
    if (history) {
      var r = (lamS - history.lam) / -Math.log(expNegH);
      c1 = 1 + 1 / (2 * r); c2 = 1 / (2 * r);
    }
    var cx = sU / sS, cd = aU * (1 - expNegH), y = new Float32Array(x.length);
    for (var i = 0; i < x.length; i++) {
      var d = history ? Math.fround(c1) * x0[i] - Math.fround(c2) * history.x0[i] : x0[i];
      y[i] = cx * x[i] + cd * d;
    }
    return [y, { x0: x0, lam: lamS }];
  }

  // Run a sampler. o: {unet, alphaBar (Float64Array), pairs, sampler, eta, prediction, clip, x (x_T),
  // noise(i) -> Float32Array (fresh N(0, I) for step i; ddpm and ddim with η > 0), after(i, x, tPrev) -> x
  // (inpainting's paste), onStep(i, x, x0)}. Returns x_0.
  async function sample(o) {
    if (["ddpm", "ddim", "dpmpp"].indexOf(o.sampler) < 0) {
      // the Python sampler table has more rows; this page implements these three, and says so
      throw new Error("the playground runs the ddpm, ddim and dpmpp samplers, not " + JSON.stringify(o.sampler));
    }
    var x = o.x, history = null, ab = function (t) { return t < 0 ? 1 : o.alphaBar[t]; };
    for (var i = 0; i < o.pairs.length; i++) {
      var t = o.pairs[i][0], s = o.pairs[i][1], last = s < 0;
      var out = await o.unet(x, t);
      var pair = x0Eps(x, out, ab(t), o.prediction, o.clip);
      if (o.sampler === "dpmpp") {
        var next = dpmppStep(x, pair[0], ab(t), ab(s), last ? null : history);
        x = next[0]; history = next[1];
      } else if (o.sampler === "ddpm") {
        x = ddpmStep(x, pair[0], ab(t), ab(s), last ? null : o.noise(i));
      } else {
        x = ddimStep(x, pair[0], pair[1], ab(t), ab(s), o.eta || 0, o.eta > 0 && !last ? o.noise(i) : null);
      }
      if (o.after) x = o.after(i, x, s);
      if (o.onStep) await o.onStep(i, x, pair[0]);
    }
    return x;
  }

  // ε̃ = ε_u + s (ε_c - ε_u) from one batch of 2B rows [unconditional; conditional]
  function guide(out, scale) {
    var half = out.length / 2, y = new Float32Array(half);
    for (var i = 0; i < half; i++) y[i] = out[i] + scale * (out[half + i] - out[i]);
    return y;
  }

  return { timesteps: timesteps, x0Eps: x0Eps, sample: sample, guide: guide };
})();
