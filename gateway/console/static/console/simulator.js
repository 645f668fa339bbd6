/* Training simulator: refresh both phone threads while the worker routes and sends.
   Progressive enhancement only: the page works without it (the "Refresh" link).
   Polls /console/simulator/state.json every 3 s for 3 minutes after the page
   loads (each action reloads the page), so an idle page does not keep the
   session alive. Builds the threads with textContent: never HTML from data. */
(function () {
  "use strict";

  var INTERVAL_MS = 3000;
  var POLL_FOR_MS = 3 * 60 * 1000;

  function item(line, whoIn, whoOut) {
    var entry = document.createElement("li");
    entry.className = "sim-msg sim-msg-" + (line.direction === "in" ? "in" : "out");
    var who = document.createElement("span");
    who.className = "sim-who";
    who.textContent = line.direction === "in" ? whoIn : whoOut;
    var text = document.createElement("span");
    text.className = "sim-text";
    text.textContent = line.text;
    entry.appendChild(who);
    entry.appendChild(text);
    var status = document.createElement("span");
    status.className = "sim-status";
    status.textContent = line.label || "";
    entry.appendChild(status);
    return entry;
  }

  /* The thread is an aria-live region (additions): only new messages are
     appended, so a screen reader reads each new SMS once, not the whole
     thread again; delivery labels of earlier ones change in place. */
  function render(list, lines) {
    if (!list) {
      return;
    }
    var whoIn = list.getAttribute("data-who-in") || "";
    var whoOut = list.getAttribute("data-who-out") || "";
    var wasAtBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 8;
    if (!lines.length) {
      return; // keep the server's "nothing yet" text
    }
    var shown = list.querySelectorAll(".sim-msg");
    if (shown.length > lines.length) {
      shown = [];
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
    }
    Array.prototype.forEach.call(list.querySelectorAll(".sim-empty"), function (empty) {
      list.removeChild(empty);
    });
    lines.forEach(function (line, index) {
      if (index < shown.length) {
        var status = shown[index].querySelector(".sim-status");
        if (status && status.textContent !== (line.label || "")) {
          status.textContent = line.label || "";
        }
        return;
      }
      list.appendChild(item(line, whoIn, whoOut));
    });
    if (wasAtBottom) {
      list.scrollTop = list.scrollHeight;
    }
  }

  function typing() {
    var fields = document.querySelectorAll("#simulator input[type=text]");
    return Array.prototype.some.call(fields, function (field) {
      return field.value !== "";
    });
  }

  function start() {
    var root = document.getElementById("simulator");
    if (!root || !window.fetch) {
      return;
    }
    var url = root.getAttribute("data-state-url");
    var version = root.getAttribute("data-version");
    var stopAt = Date.now() + POLL_FOR_MS;
    var threads = document.querySelectorAll(".sim-thread");
    Array.prototype.forEach.call(threads, function (list) {
      list.scrollTop = list.scrollHeight;
    });

    function poll() {
      if (Date.now() > stopAt) {
        return;
      }
      if (document.hidden) {
        window.setTimeout(poll, INTERVAL_MS);
        return;
      }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok || response.redirected) {
            throw new Error("stopped");
          }
          return response.json();
        })
        .then(function (data) {
          if (data.focal_id !== root.getAttribute("data-focal-id") && !typing()) {
            // A referral went to another focal point: show that phone.
            window.location.reload();
            return;
          }
          if (data.version !== version) {
            render(document.getElementById("reporter-thread"), data.reporter || []);
            if (data.focal_id === root.getAttribute("data-focal-id")) {
              render(document.getElementById("focal-thread"), data.focal || []);
            }
          }
          version = data.version;
          window.setTimeout(poll, INTERVAL_MS);
        })
        .catch(function () {
          /* signed out, offline or an error: stop; the Refresh link still works */
        });
    }

    window.setTimeout(poll, INTERVAL_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
