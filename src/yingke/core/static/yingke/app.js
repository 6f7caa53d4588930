/* Yingke: small behaviours on top of htmx. No framework. */
(function () {
  "use strict";

  // Search box: show the dropdown when it has content, arrow keys to move, Enter to open.
  function initSearch(form) {
    var input = form.querySelector("input[name=q]");
    var box = form.querySelector(".suggest");
    if (!input || !box) return;
    var current = -1;
    function items() { return Array.prototype.slice.call(box.querySelectorAll(".suggest-item")); }
    function open() { box.classList.toggle("is-open", box.textContent.trim() !== "" && input.value.trim() !== ""); }
    function close() { box.classList.remove("is-open"); current = -1; }
    function mark(i) {
      var list = items();
      list.forEach(function (el, k) { el.classList.toggle("is-current", k === i); });
      current = i;
    }
    box.addEventListener("htmx:afterSwap", function () { current = -1; open(); });
    input.addEventListener("focus", open);
    input.addEventListener("input", function () { if (!input.value.trim()) close(); });
    input.addEventListener("keydown", function (e) {
      var list = items();
      if (e.key === "ArrowDown" && list.length) { e.preventDefault(); open(); mark(Math.min(current + 1, list.length - 1)); }
      else if (e.key === "ArrowUp" && list.length) { e.preventDefault(); mark(Math.max(current - 1, 0)); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && current >= 0 && list[current]) { e.preventDefault(); window.location = list[current].href; }
    });
    document.addEventListener("click", function (e) { if (!form.contains(e.target)) close(); });
    document.addEventListener("keydown", function (e) {
      // "/" focuses the search box from anywhere, as in many staff tools.
      if (e.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
        e.preventDefault(); input.focus(); input.select();
      }
    });
  }

  // Customer form: show the person or the organisation fields.
  function initKind(form) {
    form.addEventListener("change", function (e) {
      if (e.target.name === "kind") form.dataset.kind = e.target.value;
    });
  }

  // Close the user menu when clicking elsewhere.
  function initMenus() {
    document.addEventListener("click", function (e) {
      document.querySelectorAll("details.usermenu[open]").forEach(function (d) {
        if (!d.contains(e.target)) d.removeAttribute("open");
      });
    });
  }

  // Links that jump to a section and focus a field in it.
  function initFocusLinks() {
    document.addEventListener("click", function (e) {
      var a = e.target.closest("a[data-focus]");
      if (!a) return;
      var el = document.querySelector(a.dataset.focus);
      if (el) setTimeout(function () { el.focus(); }, 50);
    });
  }

  // After a refused submit, put the cursor in the first field that needs fixing.
  function focusFirstError() {
    var field = document.querySelector(".has-error input:not([type=hidden]), .has-error select, .has-error textarea");
    if (field) { field.focus(); field.scrollIntoView({ block: "center" }); }
  }

  // Filter forms send only the filters that are set, so that URLs stay short and shareable.
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.verb !== "get" || !e.detail.elt.matches("form[data-drop-empty]")) return;
    var params = e.detail.parameters;
    var keys = params instanceof FormData ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (k) {
      var v = params instanceof FormData ? params.get(k) : params[k];
      if (v === "" || v === null) { if (params instanceof FormData) params.delete(k); else delete params[k]; }
    });
  });

  // A header checkbox (data-select-all="FORM-ID") ticks or clears every row checkbox of that
  // form on the page (the customer list's bulk assign); delegated, so it survives htmx swaps.
  document.addEventListener("change", function (e) {
    var all = e.target.closest && e.target.closest("input[data-select-all]");
    if (!all) return;
    document.querySelectorAll('input[type=checkbox][form="' + all.dataset.selectAll + '"]').forEach(function (box) {
      if (box !== all) box.checked = all.checked;
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstError();
    document.querySelectorAll("[data-searchbox]").forEach(initSearch);
    document.querySelectorAll(".customer-form").forEach(initKind);
    initMenus();
    initFocusLinks();
  });
})();
