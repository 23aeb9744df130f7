// Renders the maths of every page with the KaTeX shipped in assets/vendor (no CDN): `$…$` and `$$…$$` as the
// notebooks write them, `\(…\)` and `\[…\]` as pymdownx.arithmatex writes Markdown pages' maths. Code, <pre>
// and notebook outputs are left alone. When done, <html data-math="rendered"> (the browser test waits for it).
(function () {
  "use strict";
  function render() {
    window.renderMathInElement(document.body, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false },
      ],
      ignoredClasses: ["jp-OutputArea", "highlight", "highlight-ipynb"],
      throwOnError: false,
    });
    document.documentElement.dataset.math = "rendered";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
