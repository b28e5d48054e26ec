// The emergency banner on every open page: a short poll of drills.alarm_status (a small JSON answer).
// Without this file the banner still shows on the next page load (it is rendered with the page).
(function () {
  "use strict";
  var bar = document.getElementById("alarm-bar");
  if (!bar || !window.fetch) { return; }
  var banner = document.getElementById("alarm-banner");
  var text = banner ? banner.querySelector(".alarm-banner-text") : null;
  var link = document.getElementById("alarm-banner-link");
  var url = bar.getAttribute("data-url");
  var every = Number(bar.getAttribute("data-poll")) || 5000;
  var shownId = banner && !banner.hidden ? "shown" : null;
  var timer = null;

  function show(state) {
    if (!banner) { return; }
    if (state && state.live) {
      if (text) { text.textContent = state.text || ""; }
      if (state.url && link) { link.setAttribute("href", state.url); }
      banner.hidden = false;
      document.documentElement.classList.add("alarm-live");
      if (shownId !== String(state.id) && shownId !== "shown" && navigator.vibrate) {
        navigator.vibrate([400, 200, 400]);
      }
      shownId = String(state.id);
    } else {
      banner.hidden = true;
      document.documentElement.classList.remove("alarm-live");
      shownId = null;
    }
  }

  function schedule() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(poll, document.hidden ? Math.max(every, 15000) : every);
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) { show(state); } })
      .catch(function () { /* offline: keep what is shown, try again */ })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
  schedule();
}());
