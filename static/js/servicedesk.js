// ServiceDesk: behaviour shared by every page. Keep it small; pages use htmx for updates.
document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("htmx-error");
  if (!box) {
    box = document.createElement("div");
    box.id = "htmx-error";
    box.className = "alert alert-danger position-fixed bottom-0 end-0 m-3 shadow";
    box.setAttribute("role", "alert");
    document.body.appendChild(box);
  }
  box.textContent = document.documentElement.lang === "zh-hans" ? "操作失败，请重试。" : "That did not work. Please try again.";
  setTimeout(function () { box.remove(); }, 5000);
});
// No inline handlers (the Content-Security-Policy forbids them); markup asks for behaviour with data-*:
//   <form data-confirm="Remove this date?">  asks before submitting;
//   <select data-autosubmit>                  submits its form when the choice changes;
//   <button data-print>                       opens the print dialog.
document.addEventListener("submit", function (event) {
  var message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.dataset && field.dataset.autosubmit !== undefined && field.form) field.form.submit();
});
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
// Disable a form's submit buttons once it is sent: a double click posts once.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented) return; // cancelled (data-confirm answered "no"): keep the buttons
  if (form.dataset.allowResubmit !== undefined) return;
  if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return; // htmx swaps, no reload
  setTimeout(function () {
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});
// <input type="checkbox" data-select-all> ticks or clears every "ids" checkbox of its table (bulk changes).
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.dataset || box.dataset.selectAll === undefined) return;
  box.closest("table").querySelectorAll("input[name=ids]").forEach(function (c) { c.checked = box.checked; });
});
// The bulk bar acts on the list as filtered now (the filter updates the address without a reload).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.id !== "bulk-form" && form.id !== "view-save-form") return;
  var params = new URLSearchParams(location.search);
  params.delete("page");
  form.querySelector("input[name=query]").value = params.toString();
}, true);
