// Draw every <pre class="mermaid"> of the page with the local mermaid.min.js; the theme follows the site's.
document.addEventListener("DOMContentLoaded", () => {
  const dark = document.documentElement.dataset.theme === "dark";
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default" });
  mermaid.run({ querySelector: "pre.mermaid" });
});
