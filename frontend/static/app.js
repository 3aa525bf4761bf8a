// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // On a phone the header's links fold behind a menu button.
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var header = toggle.closest(".site-header");
      var open = header.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Ask before destructive actions (forms marked data-confirm).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
    }
  });
  // Copy buttons for secrets shown once (API keys): hidden until the
  // clipboard is there to make them work.
  if (navigator.clipboard) {
    document.querySelectorAll("[data-copy][hidden]").forEach(function (b) {
      b.hidden = false;
    });
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-copy]");
    if (!btn || !navigator.clipboard) return;
    var target = document.getElementById(btn.getAttribute("data-copy"));
    if (!target) return;
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      btn.textContent = btn.getAttribute("data-copied") || "✓";
    });
  });
  // A code block wider than its box scrolls sideways: keyboard users
  // reach it with Tab to scroll it (the API docs' schemas are marked in
  // the page already).
  function focusableScrollers() {
    document.querySelectorAll("pre:not([tabindex])").forEach(function (pre) {
      if (pre.scrollWidth > pre.clientWidth) {
        pre.tabIndex = 0;
      }
    });
  }
  focusableScrollers();
  window.addEventListener("resize", focusableScrollers);
  // Show times in the viewer's time zone (elements <time data-local>).
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) {
      el.textContent = d.toLocaleString(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
    }
  });
})();
