/* The charts of the dashboard and of the complaint reports: each <div data-chart="ID"> gets the ECharts option stored in
   <script type="application/json" id="ID"> (built on the server, reports/charts.py).
   No inline script (CSP); the table behind each chart is in the page. */
(function () {
  "use strict";
  var charts = [];
  function draw(root) {
    if (typeof window.echarts === "undefined") { return; }
    (root || document).querySelectorAll("[data-chart]:not([data-rendered])").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var option;
      try { option = JSON.parse(source.textContent); } catch (e) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.setAttribute("data-rendered", "1");
      charts.push(chart);
    });
  }
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });
  // A panel shown as "being computed" (a period whose figures are not kept yet) is loaded
  // after the page: the server computes it on that request.
  function loadPanels() {
    document.querySelectorAll("[data-pareto-src]").forEach(function (slot) {
      fetch(slot.getAttribute("data-pareto-src"), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var section = doc.getElementById("r-pareto");
          var kpi = doc.querySelector("template[data-pareto-kpi]");
          var oldKpi = document.getElementById("kpi-pareto");
          if (kpi && oldKpi) { oldKpi.replaceWith(document.importNode(kpi.content, true)); }
          if (kpi) { kpi.remove(); }
          if (!section) { throw new Error("no panel"); }
          var fresh = document.importNode(section, true);
          slot.replaceWith(fresh);
          draw(fresh);
        })
        .catch(function () {
          slot.removeAttribute("aria-busy");
          var note = slot.querySelector("p");
          if (note) { note.textContent = slot.getAttribute("data-failed") || ""; }
        });
    });
  }
  function start() { draw(); loadPanels(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
