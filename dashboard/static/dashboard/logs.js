// Live tail for the log explorer (progressive enhancement: without it the page is a plain
// search form and result list). "Follow live" polls GET /api/logs?…&tail_after=ID on the
// portal itself every 2 s with the page's own filters and puts new matching lines on top.
// Lines are built with textContent only: log text is data, never markup. No inline script.
(function () {
  "use strict";
  var button = document.querySelector("[data-tail-toggle]");
  var list = document.querySelector("[data-lines]");
  if (!button || !list || !window.fetch) return;
  var status = document.querySelector("[data-tail-status]");
  var api = button.getAttribute("data-api");
  var query = button.getAttribute("data-query");
  var after = button.getAttribute("data-after") || "0";
  var linePrefix = button.getAttribute("data-line-prefix");
  var hostPrefix = button.getAttribute("data-host-prefix");
  var timer = null;
  var busy = false;
  var MAX_SHOWN = 1000;

  function say(text) { if (status) status.textContent = text; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function row(line) {
    var item = el("li", "fp-logline is-new");
    item.setAttribute("data-line-id", String(line.id));
    var time = el("a", "fp-logtime", (line.log_time || "").replace("T", " ").slice(0, 19));
    time.href = linePrefix + encodeURIComponent(line.id) + "/";
    time.title = "Open the lines around this one";
    item.appendChild(time);
    item.appendChild(document.createTextNode(" "));
    var level = String(line.level || "").toLowerCase().replace(/[^a-z]/g, "");
    item.appendChild(el("span", "fp-level lv-" + level, line.level));
    item.appendChild(document.createTextNode(" "));
    var host = el("a", "fp-loghost", line.host);
    host.href = hostPrefix + encodeURIComponent(line.host) + "/";
    item.appendChild(host);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("span", "fp-sub", line.logtype + " " + line.component));
    var message = el("pre", "fp-log", line.message);
    message.setAttribute("data-message", "");
    item.appendChild(message);
    if (line.trace) {
      var details = el("details");
      details.setAttribute("data-trace", "");
      details.appendChild(el("summary", null, "trace (" + line.trace.split("\n").length + " lines)"));
      details.appendChild(el("pre", "fp-log", line.trace));
      item.appendChild(details);
    }
    return item;
  }

  function poll() {
    if (busy) return;
    busy = true;
    var url = api + "?" + (query ? query + "&" : "") + "tail_after=" + encodeURIComponent(after) + "&limit=200";
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        var empty = list.querySelector("[data-no-lines]");
        if (body.lines.length && empty) empty.remove();
        body.lines.forEach(function (line) { list.insertBefore(row(line), list.firstChild); });
        while (list.children.length > MAX_SHOWN) list.removeChild(list.lastChild);
        after = String(body.tail_after);
        say("Following: " + (body.lines.length ? body.lines.length + " new at " : "checked at ") +
            new Date().toLocaleTimeString());
      })
      .catch(function (error) { stop(); say("Live tail stopped: " + error.message + "."); })
      .then(function () { busy = false; });
  }

  function start() {
    button.textContent = "Stop following";
    button.setAttribute("aria-pressed", "true");
    say("Following: waiting for new lines…");
    poll();
    timer = window.setInterval(poll, 2000);
  }

  function stop() {
    if (timer) window.clearInterval(timer);
    timer = null;
    button.textContent = "Follow live";
    button.setAttribute("aria-pressed", "false");
  }

  button.hidden = false;
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", function () { if (timer) { stop(); say("Stopped."); } else start(); });
})();
