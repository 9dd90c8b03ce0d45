// Live refresh for the dashboard pages, without a full reload (progressive enhancement: the
// pages are complete without it). Every data-refresh-seconds the same URL is fetched from the
// portal itself and the <main> of the answer replaces the current one. The new content is the
// server's own escaped HTML, parsed by DOMParser (which never runs scripts). No inline script,
// no event-handler attributes: it works under a strict Content-Security-Policy.
(function () {
  "use strict";
  var main = document.getElementById("fp-main");
  if (!main || !window.fetch || !window.DOMParser) return;
  var seconds = parseInt(main.getAttribute("data-refresh-seconds"), 10);
  if (!(seconds >= 1)) return;  // 0: live refresh is off (DASHBOARD_REFRESH_SECONDS)

  function note(text) {
    var current = document.getElementById("fp-main");
    var box = current && current.querySelector("[data-refresh-note]");
    if (box) box.textContent = text;
  }

  var stopped = false;

  function refresh() {
    if (stopped || document.visibilityState === "hidden") return;  // not from background tabs
    fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Requested-With": "fp-refresh" },
    })
      .then(function (response) {
        // A lapsed session answers with the login page: stop instead of showing it inside.
        if (!response.ok || new URL(response.url).pathname !== window.location.pathname) {
          throw new Error(response.ok ? "log in again to resume" : "HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("fp-main");
        var current = document.getElementById("fp-main");
        if (!fresh || !current) throw new Error("unexpected answer");
        current.replaceWith(document.importNode(fresh, true));
      })
      .catch(function (error) {
        stopped = true;
        window.clearInterval(timer);
        note("Live refresh paused: " + error.message + ". Reload the page to try again.");
      });
  }

  var timer = window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh();
  });
})();
