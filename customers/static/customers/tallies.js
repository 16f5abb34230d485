// Front-desk intake tallies: the bar chart of contacts by channel (data from json_script "intake-data").
(function () {
  var data = JSON.parse(document.getElementById("intake-data").textContent);
  var colors = ["#0d6efd", "#198754", "#fd7e14"];
  data.datasets.forEach(function (d, i) { d.backgroundColor = colors[i]; });
  new Chart(document.getElementById("intake-chart"), {
    type: "bar", data: data,
    options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
