// Follow changes: the node says when the commons changed (server-sent events); the page fetches itself
// again and replaces its main part, unless the person is typing in it. No framework, no external resource.
(function () {
  "use strict";
  if (!window.EventSource || !document.body.dataset.live) { return; }
  var pending = false;
  var status = document.getElementById("live-status");
  function typing() {
    var el = document.activeElement;
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
  }
  function reload() {
    if (pending) { return; }
    pending = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        pending = false;
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        var main = document.getElementById("main");
        if (fresh && main && !typing()) {
          main.innerHTML = fresh.innerHTML;
          document.body.dataset.version = main.dataset.version || "";
          if (status) { status.textContent = status.dataset.updated || ""; }
        }
      })
      .catch(function () { pending = false; });
  }
  var source = new EventSource("/events");
  source.addEventListener("change", function (event) {
    document.body.dataset.seen = event.data;
    reload();
  });
  source.addEventListener("version", function (event) { document.body.dataset.seen = event.data; });
})();
