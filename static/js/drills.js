// Live board: poll the JSON endpoint, swap the board, tick the clock.  Progressive enhancement:
// without this file the board is a plain page with a "Refresh" link.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch) { return; }
  var url = board.getAttribute("data-url");
  var version = board.getAttribute("data-version");
  var base = Number(board.getAttribute("data-poll")) || 3000;
  var delay = base;
  var maxDelay = 30000;
  var status = document.getElementById("board-status");
  var statusLine = status ? status.parentNode : null;
  var lastOk = Date.now();
  var clockBase = 0;
  var clockAt = 0;
  var live = true;
  // after the all clear, reunification keeps the board following the hand-overs (the clock stays stopped)
  var follow = board.getAttribute("data-follow") === "1";
  var timer = null;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmt(s) { return Math.floor(s / 60) + ":" + pad(s % 60); }
  function timeNow() { var d = new Date(); return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }

  function readClock() {
    var el = document.getElementById("drill-clock");
    if (!el) { return; }
    clockBase = Number(el.getAttribute("data-elapsed")) || 0;
    clockAt = Date.now();
    live = el.getAttribute("data-live") === "1";
  }

  function tick() {
    var el = document.getElementById("drill-clock");
    if (el && live) { el.textContent = fmt(clockBase + Math.floor((Date.now() - clockAt) / 1000)); }
  }

  function say(text, stale) {
    if (status) { status.textContent = text; }
    if (statusLine) { statusLine.classList.toggle("stale", !!stale); }
  }

  function schedule() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(poll, document.hidden ? Math.max(delay, 10000) : delay);
  }

  function poll() {
    var ctrl = window.AbortController ? new AbortController() : null;
    var guard = window.setTimeout(function () { if (ctrl) { ctrl.abort(); } }, 8000);
    fetch(url, { headers: { "If-None-Match": '"' + version + '"', "Accept": "application/json" },
                 cache: "no-store", credentials: "same-origin", signal: ctrl ? ctrl.signal : undefined })
      .then(function (r) {
        window.clearTimeout(guard);
        if (r.status === 304) { return null; }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) {
        if (data) {
          version = data.version;
          board.innerHTML = data.html;
          readClock();
        }
        lastOk = Date.now();
        delay = base;
        say(board.getAttribute("data-updated-label") ? board.getAttribute("data-updated-label") + " " + timeNow() : timeNow(), false);
        if (live || follow) { schedule(); }
      })
      .catch(function () {
        window.clearTimeout(guard);
        delay = Math.min(maxDelay, delay * 2);  // back off on a poor connection, never give up
        var ago = Math.round((Date.now() - lastOk) / 1000);
        say((board.getAttribute("data-offline-label") || "Offline") + " " + ago + " s", true);
        schedule();
      });
  }

  readClock();
  window.setInterval(tick, 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden && (live || follow)) { delay = base; schedule(); } });
  if (live || follow) { schedule(); }
})();
