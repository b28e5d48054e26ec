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
  // A form sent twice (double tap on a slow connection) is sent once.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
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
