// SLA dashboard: the daily compliance trend, drawn on load and again after the 30-second htmx refresh.
(function () {
  let chart = null;
  function draw() {
    const data = document.getElementById("sla-trend-data");
    const canvas = document.getElementById("sla-trend");
    if (!data || !canvas) return;
    const spec = JSON.parse(data.textContent);
    const colours = ["#0d6efd", "#198754"];
    spec.datasets.forEach((d, i) => { d.borderColor = colours[i]; d.backgroundColor = colours[i]; d.spanGaps = true; d.tension = 0.25; d.pointRadius = 2; });
    if (chart) chart.destroy();
    chart = new Chart(canvas, {
      type: "line",
      data: spec,
      options: {
        animation: false, maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: v => v + "%" } }, x: { ticks: { maxTicksLimit: 8 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSwap", e => { if (e.detail.target.id === "sla-dashboard") draw(); });
})();
