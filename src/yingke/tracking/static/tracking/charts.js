/* The charts of the tracking reports (funnel, follow-up ordinals, lead sources): each <div data-chart="ID"> gets the
   ECharts option stored in <script type="application/json" id="ID">, built on the server (tracking/views_reports.py).
   No inline script (CSP); the table behind each chart is in the page. */
(function () {
  "use strict";
  var charts = [];
  function draw() {
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]:not([data-rendered])").forEach(function (el) {
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
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
