// Draws every <canvas data-chart="id"> from the JSON in <script id="id">, on load and after an
// htmx swap (switching the period replaces the report without a full reload).
(function () {
  const charts = [];
  function draw(root) {
    if (!window.Chart) return;
    const printing = document.body.classList.contains("report-print");
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      const config = JSON.parse(source.textContent);
      if (printing) { config.options = Object.assign({}, config.options, { animation: false, responsive: true }); }
      const old = Chart.getChart(canvas);
      if (old) old.destroy();
      charts.push(new Chart(canvas, config));
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
  window.addEventListener("beforeprint", function () { Chart && Object.values(Chart.instances).forEach(function (c) { c.resize(); }); });
})();
