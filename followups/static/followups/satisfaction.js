// Satisfaction dashboard charts. Data from json_script "chart-data"; the translated series labels
// come from the canvases' data-label-* attributes (no inline script: the CSP forbids it).
(function () {
  const d = JSON.parse(document.getElementById("chart-data").textContent);
  const months = document.getElementById("chart-months");
  const dims = document.getElementById("chart-dims");
  new Chart(months, {
    data: { labels: d.labels, datasets: [
      { type: "line", label: months.dataset.labelCsat, data: d.csat, borderColor: "#198754", backgroundColor: "#198754", yAxisID: "y", spanGaps: true, tension: .25 },
      { type: "line", label: months.dataset.labelNps, data: d.nps, borderColor: "#0d6efd", backgroundColor: "#0d6efd", yAxisID: "y", spanGaps: true, tension: .25 },
      { type: "bar", label: months.dataset.labelAnswers, data: d.responses, backgroundColor: "rgba(108,117,125,.25)", yAxisID: "y2" }
    ]},
    options: { responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
      scales: { y: { min: -100, max: 100 }, y2: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } } } }
  });
  new Chart(dims, {
    type: "bar", data: { labels: d.dim_labels, datasets: [{ label: dims.dataset.labelAverage, data: d.dims, backgroundColor: "#6f42c1" }] },
    options: { maintainAspectRatio: false, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { min: 1, max: 5 } } }
  });
})();
