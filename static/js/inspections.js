// The run screen: each tick (with its note and photo) goes into the phone's outbox (outbox.js)
// with a phone-made id and the time it was made, and is sent from there at once or, with no
// signal, when the connection is back: a tick resent after a dropped connection is stored once,
// and a photo taken offline waits on the phone with its tick.  Without this file every button
// is a plain form post.
(function () {
  "use strict";
  var list = document.querySelector(".items[data-answer-url]");
  if (!list || !window.fetch || !window.FormData) { return; }
  var box = window.SafetyOutbox;
  var OLD_KEY = "safetyops.insp.queue";
  var url = list.getAttribute("data-answer-url");
  var runId = list.getAttribute("data-run");
  var title = list.getAttribute("data-title") || "";
  var state = document.getElementById("sync-state");
  var progress = document.getElementById("progress");

  function token() { var el = document.querySelector("input[name=csrf_token]"); return el ? el.value : ""; }
  function say(text) { if (!state) { return; } state.hidden = !text; state.textContent = text || ""; }
  function msg(name) { return list.getAttribute("data-msg-" + name) || ""; }
  function field(rec, name) { var f = rec.fields.filter(function (x) { return x[0] === name; })[0]; return f ? f[1] : ""; }
  function mine(rec) { return rec.group === runId && rec.url === url; }

  function li(itemId) { return document.getElementById("item-" + itemId); }
  function mark(itemId, result, note, pending) {
    var el = li(itemId); if (!el) { return; }
    if (result) {
      el.classList.remove("is-pass", "is-fail", "is-na");
      el.classList.add("is-" + result);
      var label = el.querySelector(".tick-" + result);
      var text = (label ? label.textContent : result) + (result === "fail" && note ? ": " + note : "");
      el.querySelector(".answer-state").textContent = text;
      var fbox = el.querySelector(".fail-box");
      if (fbox && result !== "fail") { fbox.open = false; }
    }
    el.classList.toggle("is-pending", !!pending);
    var err = el.querySelector(".error[role=alert]"); if (err) { err.remove(); }
  }
  function showError(itemId, text) {
    var el = li(itemId); if (!el) { return; }
    var err = el.querySelector(".error[role=alert]");
    if (!err) { err = document.createElement("p"); err.className = "error"; err.setAttribute("role", "alert");
      el.querySelector(".answer-state").after(err); }
    err.textContent = text;
    el.classList.remove("is-pending");
  }
  function photoWaits(itemId, waits) {
    var el = li(itemId); if (!el) { return; }
    var need = el.querySelector(".need-photo");
    if (waits && need) { need.remove(); }
  }
  function counted() {
    var total = parseInt(progress.getAttribute("data-total"), 10);
    var done = list.querySelectorAll(".item.is-pass, .item.is-fail, .item.is-na").length;
    progress.textContent = progress.textContent.replace(/\d+(\D+)\d+/, done + "$1" + total);
  }
  function done(itemId, data) {
    var el = li(itemId); if (!el) { return; }
    el.classList.remove("is-pending");
    var need = el.querySelector(".need-photo");
    if (data && data.needs_photo && !need) {
      need = document.createElement("p"); need.className = "error need-photo"; need.textContent = msg("photo");
      el.querySelector(".answer-state").after(need);
    } else if (data && !data.needs_photo && need) { need.remove(); }
    counted();
  }

  function queue(form, result) {
    var itemId = form.item_id.value;
    var note = result === "fail" ? form.note.value.trim() : "";
    var photo = form.photo && form.photo.files && form.photo.files[0];
    var fields = [["csrf_token", token()], ["item_id", itemId], ["result", result], ["client_uuid", box.uuid()],
                  ["note", note]];
    var item = li(itemId);
    var text = item ? item.querySelector(".item-text").firstChild.textContent.trim() : itemId;
    mark(itemId, result, note, true);
    photoWaits(itemId, !!photo);
    counted();
    box.add({ url: url, fields: fields, files: photo ? [["photo", photo, photo.name || "photo.jpg"]] : [],
              label: title + " · " + text.slice(0, 60), group: runId }).then(function () {
      if (form.photo) { form.photo.value = ""; }
      if (navigator.onLine === false) { say(msg("offline")); }
    });
  }

  list.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button");
    if (!btn || !list.contains(btn) || !box) { return; }
    var form = btn.form;
    if (btn.classList.contains("js-fail")) {
      var fbox = form.querySelector(".fail-box"); fbox.open = true;
      form.note.focus();
      ev.preventDefault();
      return;
    }
    if (btn.type !== "submit") { return; }
    ev.preventDefault();
    if (!btn.value) {  // "add the photo only"
      var photo = form.photo && form.photo.files && form.photo.files[0];
      if (!photo) { showError(form.item_id.value, msg("photo")); return; }
      photoWaits(form.item_id.value, true);
      box.add({ url: url, files: [["photo", photo, photo.name || "photo.jpg"]], group: runId, label: title,
                fields: [["csrf_token", token()], ["item_id", form.item_id.value], ["result", ""],
                         ["client_uuid", box.uuid()], ["note", ""]] });
      return;
    }
    if (btn.value === "fail" && !form.note.value.trim()) {
      showError(form.item_id.value, msg("note"));
      form.note.focus();
      return;
    }
    queue(form, btn.value);
  });

  if (!box) { return; }
  document.addEventListener("outbox:sent", function (ev) {
    var rec = ev.detail.rec;
    if (!mine(rec)) { return; }
    var itemId = field(rec, "item_id");
    if (field(rec, "result")) { done(itemId, ev.detail.data); } else { photoWaits(itemId, true); done(itemId, ev.detail.data); }
    box.all().then(function (recs) { if (!recs.some(function (r) { return mine(r) && r.state === "waiting"; })) { say(""); } });
  });
  document.addEventListener("outbox:failed", function (ev) {
    if (mine(ev.detail.rec)) { showError(field(ev.detail.rec, "item_id"), ev.detail.message || ""); }
  });

  // "Finish" pressed while ticks still travel: say so, send them, and finish by itself once the
  // last of them is stored (the person pressed once; they should not have to press again).
  var finish = document.querySelector("form.finish");
  function finishIfSent() {
    return box.all().then(function (recs) {
      if (recs.some(function (r) { return mine(r) && r.state === "waiting"; })) { return false; }
      finish.dataset.pending = ""; finish.submit(); return true;
    });
  }
  if (finish) {
    finish.addEventListener("submit", function (ev) {
      if (navigator.onLine === false) { return; }  // outbox.js keeps the finish behind the ticks
      ev.preventDefault();
      finishIfSent().then(function (sent) {
        if (!sent) { finish.dataset.sent = ""; finish.dataset.pending = "1"; say(msg("wait")); box.flush(); }
      });
    });
    document.addEventListener("outbox:sent", function () {
      if (finish.dataset.pending === "1") { finishIfSent(); }
    });
    document.addEventListener("outbox:failed", function () { finish.dataset.pending = ""; });
  }

  // Ticks from an earlier visit (closed browser, lost signal) show as waiting; ticks an older
  // version of this page left in localStorage move into the outbox.
  var old = [];
  try { old = JSON.parse(localStorage.getItem(OLD_KEY) || "[]"); localStorage.removeItem(OLD_KEY); } catch (e) { old = []; }
  Promise.all(old.map(function (e) {
    var fields = [["csrf_token", token()]];
    Object.keys(e.fields).forEach(function (k) { fields.push([k, e.fields[k]]); });
    return box.add({ url: e.url, fields: fields, group: String(e.run), label: title });
  })).then(function () { return box.all(); }).then(function (recs) {
    recs.forEach(function (r) {
      if (!mine(r)) { return; }
      if (r.state === "failed") { showError(field(r, "item_id"), r.error); return; }
      mark(field(r, "item_id"), field(r, "result"), field(r, "note"), true);
      if (r.files.length) { photoWaits(field(r, "item_id"), true); }
    });
    counted();
    if (recs.some(function (r) { return mine(r) && r.state === "waiting"; }) && navigator.onLine === false) { say(msg("offline")); }
  });
})();
