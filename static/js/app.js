// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.submit(); }
  });
  // Close the menu when a link in it is followed or Escape is pressed.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (d) { d.removeAttribute("open"); });
    }
  });
  // The home page loads the outbox scripts (data-later) once it has loaded: the first page of the
  // day stays light.  A sign-out pressed before they run waits for them (they clear the phone).
  var later = (document.documentElement.getAttribute("data-later") || "").split(" ").filter(Boolean);
  var waitingSignOut = null, laterDone = !later.length;
  function loadLater() {
    var left = later.length;
    later.forEach(function (src) {
      var s = document.createElement("script");
      s.src = src;
      s.async = false;  // in order: the IndexedDB helper, then the outbox
      s.onload = s.onerror = function () {
        left -= 1;
        laterDone = !left;
        if (laterDone && waitingSignOut) { var f = waitingSignOut; waitingSignOut = null; f.requestSubmit(); }
      };
      document.head.appendChild(s);
    });
  }
  if (later.length) {
    if (document.readyState === "complete") { loadLater(); } else { window.addEventListener("load", loadLater); }
  }
  // A form sent twice (double tap on a slow connection) is sent once.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!laterDone && form.matches("form[action$='/logout']")) {
      ev.preventDefault(); waitingSignOut = form; return;
    }
    if (form.dataset.sent === "1") { ev.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () { form.dataset.sent = ""; }, 4000);
  }, true);
  // The server was busy (503) and gave back the form as it was sent (the same client-made id):
  // send it again on its own after Retry-After, spread so that many phones do not return at once.
  var again = document.querySelector("form[data-retry-after]");
  if (again) {
    var wait = (parseFloat(again.getAttribute("data-retry-after")) || 2) * 1000 * (1 + Math.random() * 0.5);
    window.setTimeout(function () { again.submit(); }, wait);
  }
})();
