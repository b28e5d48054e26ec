// Gate phone: recent-visitor suggestions, a watchlist warning while typing, and the screen lock.
// Progressive enhancement only: every gate page works without this file.
(function () {
  "use strict";

  // --- screen lock after inactivity (the server keeps the lock until the guard's PIN) ---
  var lockForm = document.getElementById("gate-lock");
  if (lockForm) {
    var minutes = parseFloat(lockForm.getAttribute("data-lock-minutes")) || 0;
    if (minutes > 0) {
      var timer = null;
      var arm = function () {
        if (timer) { window.clearTimeout(timer); }
        timer = window.setTimeout(function () { lockForm.submit(); }, minutes * 60000);
      };
      ["pointerdown", "keydown", "touchstart", "scroll"].forEach(function (ev) {
        document.addEventListener(ev, arm, { passive: true });
      });
      arm();
    }
  }

  // --- suggestions and the watchlist check on the entry form ---
  var form = document.getElementById("entry-form");
  if (!form) { return; }
  var nameInput = form.querySelector("#name");
  var list = document.getElementById("gate-names");
  var alertBox = document.getElementById("watch-alert");
  var url = form.getAttribute("data-suggest");
  var items = [];
  var pending = null;
  var lastQuery = "";

  function setField(id, value) {
    var el = form.querySelector("#" + id);
    if (el && value !== undefined && value !== null) { el.value = String(value); }
  }

  function fill(item) {
    setField("kind", item.kind);
    setField("doc_type", item.doc_type);
    setField("doc_last4", item.doc_last4);
    setField("purpose", item.purpose);
    setField("host_id", item.host_id);
    setField("vehicle_plate", item.vehicle_plate);
    setField("phone", item.phone);
  }

  function showWatch(watch) {
    if (!alertBox) { return; }
    if (!watch) { alertBox.hidden = true; alertBox.textContent = ""; return; }
    alertBox.textContent = (alertBox.getAttribute("data-prefix") || "⚠") + " " + watch.name + " — " + watch.reason +
      (watch.note ? ". " + watch.note : "");
    alertBox.hidden = false;
  }

  function query() {
    var q = nameInput.value.trim();
    if (q === lastQuery) { return; }
    lastQuery = q;
    if (q.length < 2) { showWatch(null); return; }
    fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || nameInput.value.trim() !== q) { return; }
        items = data.items || [];
        list.textContent = "";
        items.forEach(function (it) {
          var opt = document.createElement("option");
          opt.value = it.name;
          list.appendChild(opt);
        });
        showWatch(data.watch);
      })
      .catch(function () { /* offline: the form still works */ });
  }

  nameInput.addEventListener("input", function () {
    var exact = items.filter(function (it) { return it.name === nameInput.value; })[0];
    if (exact) { fill(exact); }
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(query, 250);
  });
})();
