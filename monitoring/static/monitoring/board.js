// Live monitoring board: contacts and handling time per person, drawn on load and after each htmx refresh
// (the same way as the SLA dashboard's trend chart).
(function () {
  let chart = null;
  function draw() {
    const data = document.getElementById("board-chart-data");
    const canvas = document.getElementById("board-chart");
    if (!data || !canvas || typeof Chart === "undefined") return;
    const spec = JSON.parse(data.textContent);
    const colours = ["#0d6efd", "#fd7e14"];
    spec.datasets.forEach((d, i) => { d.backgroundColor = colours[i]; d.yAxisID = i ? "y1" : "y"; });
    if (chart) chart.destroy();
    chart = new Chart(canvas, {
      type: "bar",
      data: spec,
      options: {
        animation: false, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } },
                  x: { ticks: { maxTicksLimit: 12 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSwap", e => { if (e.detail.target.id === "monitoring-board") draw(); });
})();
