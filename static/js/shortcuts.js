// Keyboard shortcuts (issue 19 item 5). "?" lists them. Never while typing in a field, never with
// Ctrl/Alt/Meta. Lists: j/k move through the rows, Enter opens; the ticket page: r reply, n note,
// t take it, s status, e resolve, a assign, j/k the next/previous ticket of the list it was opened from.
(function () {
  var LIST_KEY = "servicedesk:list";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }
  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-ticket-rows] tbody tr a.fw-semibold"));
  }
  function rememberList() {
    var links = rowLinks();
    if (!links.length) return;
    try {
      sessionStorage.setItem(LIST_KEY, JSON.stringify({
        urls: links.map(function (a) { return a.getAttribute("href"); }), from: location.pathname + location.search}));
    } catch (e) { /* private mode: j/k on the ticket page just do nothing */ }
  }
  function moveInList(step) {
    var links = rowLinks();
    if (!links.length) return false;
    var i = links.indexOf(document.activeElement);
    var next = i < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, i + step));
    links[next].focus();
    links[next].closest("tr").scrollIntoView({block: "nearest"});
    return true;
  }
  function moveInTickets(step) {
    var data;
    try { data = JSON.parse(sessionStorage.getItem(LIST_KEY) || "null"); } catch (e) { data = null; }
    if (!data) return false;
    var i = data.urls.indexOf(location.pathname);
    if (i < 0 || !data.urls[i + step]) return false;
    location.href = data.urls[i + step];
    return true;
  }
  function openPanel(name) {
    var button = document.querySelector("button[data-bs-target='#act-" + name + "']");
    if (!button) return false;
    if (button.classList.contains("collapsed")) button.click();
    button.scrollIntoView({block: "center"});
    var panel = document.getElementById("act-" + name);
    // Focus the panel's first field once its form has loaded (htmx fetches it on opening).
    var tries = 0;
    (function focusField() {
      var field = panel && panel.querySelector("select, input:not([type=hidden]), textarea");
      if (field) { field.focus(); return; }
      if (++tries < 40) setTimeout(focusField, 100);
    })();
    return true;
  }
  function reply(internal) {
    var body = document.querySelector("textarea[name='reply-body']");
    if (!body) return false;
    var radio = document.querySelector("input[name='reply-public'][value='" + (internal ? "0" : "1") + "']");
    if (radio) radio.checked = true;
    body.focus();
    body.scrollIntoView({block: "center"});
    return true;
  }
  function help() {
    var dialog = document.getElementById("shortcuts-help");
    if (dialog && window.bootstrap) { bootstrap.Modal.getOrCreateInstance(dialog).show(); return true; }
    return false;
  }

  document.addEventListener("htmx:afterSwap", rememberList);
  document.addEventListener("DOMContentLoaded", rememberList);
  if (document.readyState !== "loading") rememberList();

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || typing(e.target)) return;
    if (document.querySelector(".modal.show") && e.key !== "?") return;
    var onTicket = !!document.getElementById("reply-form") || !!document.querySelector("[data-ticket-page]");
    var done = false;
    switch (e.key) {
      case "?": done = help(); break;
      case "/": {
        var search = document.querySelector("[data-shortcut-search]");
        if (search) { search.focus(); search.select && search.select(); done = true; }
        break;
      }
      case "j": done = onTicket ? moveInTickets(1) : moveInList(1); break;
      case "k": done = onTicket ? moveInTickets(-1) : moveInList(-1); break;
      case "r": done = onTicket && reply(false); break;
      case "n": done = onTicket && reply(true); break;
      case "t": {
        var take = document.querySelector("[data-shortcut-take]");
        if (take) { take.requestSubmit ? take.requestSubmit() : take.submit(); done = true; }
        break;
      }
      case "s": done = onTicket && openPanel("status"); break;
      case "e": done = onTicket && openPanel("resolve"); break;
      case "a": done = onTicket && openPanel("assign"); break;
    }
    if (done) e.preventDefault();
  });
})();
