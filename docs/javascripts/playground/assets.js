// The playground's files, by their path from the site root (docs/hooks/playground.py writes them).
// Over HTTP(S) a `.gz` file is fetched; from file://, where pages may not fetch, its `.gz.js` twin is loaded as
// a classic script that calls GV.assets.put(path, base64). Either way the bytes are gunzipped here (unless
// the host already did, with Content-Encoding), and every downloaded byte is counted in GV.assets.downloaded.
"use strict";
var GV = window.GV || (window.GV = {});

GV.assets = (function () {
  var fromFile = location.protocol === "file:";
  var waiting = {};
  var api = { fromFile: fromFile, downloaded: 0 };

  // the site root, relative to this page, from mkdocs Material's config (written after the page's content)
  api.url = function (path) {
    var config = document.getElementById("__config"); // {"base": "..", ...}
    var root = (config ? JSON.parse(config.textContent).base : ".").replace(/\/?$/, "/");
    return new URL(root + path, location.href).href;
  };

  api.put = function (path, base64) {
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    api.downloaded += bytes.length;
    if (waiting[path]) waiting[path].resolve(bytes);
  };

  function viaScript(path) {
    return new Promise(function (resolve, reject) {
      waiting[path] = { resolve: resolve };
      var script = document.createElement("script");
      script.src = api.url(path + ".js");
      script.onerror = function () { reject(new Error("could not load " + path + ".js")); };
      script.onload = function () { script.remove(); };
      document.head.appendChild(script);
    });
  }

  async function viaFetch(path) {
    var response = await fetch(api.url(path));
    if (!response.ok) throw new Error("could not fetch " + path + ": HTTP " + response.status);
    var bytes = new Uint8Array(await response.arrayBuffer());
    api.downloaded += bytes.length;
    return bytes;
  }

  async function gunzip(bytes) {
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes; // the host decoded it already
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // bytes("playground/models/fashion-ldm/unet.onnx.gz") -> Uint8Array of unet.onnx
  api.bytes = async function (path) {
    return gunzip(await (fromFile ? viaScript(path) : viaFetch(path)));
  };

  api.json = async function (path) {
    return JSON.parse(new TextDecoder().decode(await api.bytes(path)));
  };

  api.text = async function (path) {
    return new TextDecoder().decode(await api.bytes(path));
  };

  // An array of an export (docs/onnx.md: {"file", "dtype", "shape"}), as a typed array of its dtype.
  var TYPES = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, uint8: Uint8Array };
  api.array = async function (folder, entry) {
    var bytes = await api.bytes(folder + "/" + entry.file + ".gz");
    var Type = TYPES[entry.dtype];
    if (!Type) throw new Error("unknown array dtype " + entry.dtype);
    return new Type(bytes.buffer, bytes.byteOffset, bytes.byteLength / Type.BYTES_PER_ELEMENT);
  };

  return api;
})();
