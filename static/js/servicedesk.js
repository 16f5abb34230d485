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
// Disable a form's submit buttons once it is sent: a double click posts once.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.allowResubmit !== undefined) return;
  if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return; // htmx swaps, no reload
  setTimeout(function () {
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});
