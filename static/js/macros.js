// Canned replies in the ticket's reply box (issue 19): "/" in the empty box, or the button, opens a
// search; ↑/↓ choose, Enter inserts the reply filled in for this ticket, Esc closes. A macro's actions
// are shown as a chip and run on the server when the reply is sent (hidden field "macro").
(function () {
  var root = document.querySelector("[data-macro-picker]");
  if (!root) return;
  var form = root.closest("form");
  var body = form.querySelector("[data-macro-body]");
  var box = root.querySelector("#macro-picker");
  var search = root.querySelector("[data-macro-search]");
  var results = root.querySelector("[data-macro-results]");
  var more = root.querySelector("[data-macro-more]");
  var opener = root.querySelector("[data-macro-open]");
  var chip = root.querySelector("[data-macro-chip]");
  var chipText = root.querySelector("[data-macro-chip-text]");
  var strings = root.querySelector("[data-macro-strings]").dataset;
  var hidden = form.querySelector("input[name$='macro']");
  var rows = [], active = -1, timer = null, seq = 0, loading = false, enterWhenLoaded = false;

  function open() {
    box.classList.remove("d-none");
    opener.setAttribute("aria-expanded", "true");
    search.value = "";
    load("");
    search.focus();
  }
  function close(focusBody) {
    box.classList.add("d-none");
    opener.setAttribute("aria-expanded", "false");
    if (focusBody) body.focus();
  }
  function mark(i) {
    active = i;
    results.querySelectorAll("[role=option]").forEach(function (el, j) {
      el.classList.toggle("active", j === i);
      el.setAttribute("aria-selected", j === i ? "true" : "false");
      if (j === i) { search.setAttribute("aria-activedescendant", el.id); el.scrollIntoView({block: "nearest"}); }
    });
  }
  function draw(data) {
    rows = data.rows;
    results.textContent = "";
    rows.forEach(function (r, i) {
      var el = document.createElement("button");
      el.type = "button";
      el.id = "macro-option-" + r.id;
      el.className = "list-group-item list-group-item-action py-1";
      el.setAttribute("role", "option");
      el.tabIndex = -1;
      var name = document.createElement("span");
      name.className = "fw-semibold";
      name.textContent = r.name;
      el.appendChild(name);
      if (r.shared) {
        var b = document.createElement("span");
        b.className = "badge text-bg-info ms-1";
        b.textContent = strings.sharedLabel;
        el.appendChild(b);
      }
      if (r.actions.length) {
        var a = document.createElement("div");
        a.className = "text-body-secondary";
        a.textContent = r.actions.join(" · ");
        el.appendChild(a);
      }
      el.addEventListener("click", function () { choose(i); });
      results.appendChild(el);
    });
    if (!rows.length) {
      var none = document.createElement("div");
      none.className = "text-body-secondary p-1";
      none.textContent = root.dataset.noneText;
      results.appendChild(none);
    }
    more.textContent = data.more_text || "";
    mark(rows.length ? 0 : -1);
  }
  function failed() {
    results.textContent = root.dataset.errorText;
  }
  function load(q) {
    var mine = ++seq;
    loading = true;
    fetch(root.dataset.pickUrl + "?q=" + encodeURIComponent(q), {credentials: "same-origin",
      headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        if (mine !== seq) return;
        draw(data);
        // Typed on since this was asked (the search for that waits out its 150 ms): this list is not
        // the one an Enter pressed meanwhile meant — keep waiting for it.
        if (q !== search.value) return;
        loading = false;
        // Enter pressed while the list for what was typed was still coming: choose from that list.
        if (enterWhenLoaded) { enterWhenLoaded = false; if (active >= 0) choose(active); }
      })
      .catch(function () { loading = false; enterWhenLoaded = false; failed(); });
  }
  function choose(i) {
    var r = rows[i];
    if (!r) return;
    fetch(root.dataset.pickUrl + r.id + "/", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (resp) { if (!resp.ok) throw new Error(resp.status); return resp.json(); })
      .then(function (m) {
        if (m.has_text) {
          // Into an empty box, or after what was typed (a "/" that opened the picker is dropped).
          var current = body.value.replace(/\/$/, "");
          body.value = current ? current.replace(/\s*$/, "") + "\n" + m.text : m.text;
        }
        var radio = form.querySelector("input[name$='public'][value='" + (m.public ? "1" : "0") + "']");
        if (radio) radio.checked = true;
        hidden.value = m.id;
        var text = (m.actions.length ? strings.macroLabel : strings.cannedLabel).replace("{name}", m.name);
        chipText.textContent = m.actions.length ? text + " " + m.actions.join(" · ") : text;
        chip.classList.remove("d-none");
        close(true);
        body.setSelectionRange(body.value.length, body.value.length);
      })
      .catch(failed);
  }
  opener.addEventListener("click", function () {
    if (box.classList.contains("d-none")) open(); else close(true);
  });
  body.addEventListener("keydown", function (e) {
    if (e.key === "/" && !body.value.trim() && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      open();
    }
  });
  search.addEventListener("input", function () {
    clearTimeout(timer);
    loading = true;  // the list on screen is for what was typed before
    timer = setTimeout(function () { load(search.value); }, 150);
  });
  search.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); if (rows.length) mark((active + 1) % rows.length); }
    else if (e.key === "ArrowUp") { e.preventDefault(); if (rows.length) mark((active - 1 + rows.length) % rows.length); }
    else if (e.key === "Enter") {
      e.preventDefault();
      if (loading) enterWhenLoaded = true; else if (active >= 0) choose(active);
    }
    else if (e.key === "Escape") { e.preventDefault(); close(true); }
  });
  root.querySelector("[data-macro-clear]").addEventListener("click", function () {
    hidden.value = "";
    chip.classList.add("d-none");
    body.focus();
  });
  if (hidden.value) {  // the form came back with an error: the choice is still there
    chipText.textContent = strings.cannedLabel.replace("{name}", strings.chosen || "#" + hidden.value);
    chip.classList.remove("d-none");
  }
})();

// Collision warning (issue 19): the heartbeat (#presence, htmx every 5 s) says who else is here; this
// tells it whether I am writing, asks before sending when a reply arrived meanwhile, and says goodbye.
(function () {
  var form = document.getElementById("reply-form");
  var state = document.getElementById("presence-state");
  var box = document.getElementById("presence");
  if (!form || !state || !box) return;
  var body = form.querySelector("textarea");
  function update() { state.value = body.value.trim() ? "replying" : "viewing"; }
  body.addEventListener("input", update);
  update();
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.target !== box) return;
    var warning = box.querySelector("[data-new-reply]");
    if (warning) form.dataset.confirm = warning.dataset.newReply;
    else delete form.dataset.confirm;
  });
  window.addEventListener("pagehide", function () {
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!navigator.sendBeacon || !token) return;
    var data = new FormData();
    data.append("state", "leave");
    data.append("csrfmiddlewaretoken", token.value);
    navigator.sendBeacon(form.dataset.presenceUrl, data);
  });
})();
