// The run screen: each tick is saved at once with fetch and a phone-made id, so a tick
// resent after a dropped connection is stored once.  Ticks wait in localStorage while
// offline and are retried on their own (iOS has no Background Sync).  Without this file
// every button is a plain form post.
(function () {
  "use strict";
  var list = document.querySelector(".items[data-answer-url]");
  if (!list || !window.fetch || !window.FormData) { return; }
  var KEY = "safetyops.insp.queue";
  var url = list.getAttribute("data-answer-url");
  var runId = list.getAttribute("data-run");
  var state = document.getElementById("sync-state");
  var progress = document.getElementById("progress");
  var retryTimer = null;
  var sending = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function load() { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } }
  function save(q) { try { localStorage.setItem(KEY, JSON.stringify(q)); } catch (e) { /* full: kept in memory */ } }
  function token() { var el = document.querySelector("input[name=csrf_token]"); return el ? el.value : ""; }
  function say(text) { if (!state) { return; } state.hidden = !text; state.textContent = text || ""; }
  function msg(name) { return list.getAttribute("data-msg-" + name) || ""; }

  function li(itemId) { return document.getElementById("item-" + itemId); }
  function mark(itemId, result, note, pending) {
    var el = li(itemId); if (!el) { return; }
    el.classList.remove("is-pass", "is-fail", "is-na");
    el.classList.add("is-" + result);
    el.classList.toggle("is-pending", !!pending);
    var label = el.querySelector(".tick-" + result);
    var text = (label ? label.textContent : result) + (result === "fail" && note ? ": " + note : "");
    el.querySelector(".answer-state").textContent = text;
    var box = el.querySelector(".fail-box");
    if (box && result !== "fail") { box.open = false; }
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
  function counted() {
    var total = parseInt(progress.getAttribute("data-total"), 10);
    var done = list.querySelectorAll(".item.is-pass, .item.is-fail, .item.is-na").length;
    progress.textContent = progress.textContent.replace(/\d+(\D+)\d+/, done + "$1" + total);
  }

  function send(entry, file) {
    var fd = new FormData();
    Object.keys(entry.fields).forEach(function (k) { fd.append(k, entry.fields[k]); });
    if (file) { fd.append("photo", file); }
    return fetch(entry.url, {
      method: "POST", body: fd, credentials: "same-origin",
      headers: { "X-CSRFToken": token(), "Accept": "application/json", "X-Requested-With": "fetch" }
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { return { resp: resp, data: data }; });
    });
  }

  function flush() {
    if (sending) { return; }
    var q = load();
    if (!q.length) { say(""); return; }
    sending = true;
    var entry = q[0];
    send(entry).then(function (r) {
      sending = false;
      var status = r.resp.status;
      if (r.resp.ok || (status >= 400 && status < 500 && status !== 408 && status !== 429 && status !== 400)) {
        save(load().filter(function (e) { return e.id !== entry.id; }));
        if (entry.run === runId) {
          if (r.resp.ok) { done(entry.fields.item_id, r.data); } else { showError(entry.fields.item_id, r.data.message || ""); }
        }
        flush();
      } else if (status === 400) {  // stale form token: keep it, a fresh page brings a fresh token
        say(msg("offline")); schedule(15000);
      } else { say(msg("offline")); schedule(retryDelay(r.resp)); }  // 503 busy, 5xx, 408, 429: same id again
    }, function () { sending = false; say(msg("offline")); schedule(5000); });
  }
  function schedule(ms) { clearTimeout(retryTimer); retryTimer = setTimeout(flush, ms); }
  // The server's Retry-After (503: the database was busy), else 5 s; spread so fifty phones do not come back at once.
  function retryDelay(resp) {
    var s = parseFloat(resp && resp.headers.get("Retry-After"));
    return (s > 0 ? s * 1000 : 5000) * (1 + Math.random() * 0.5);
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
    var fields = { item_id: form.item_id.value, result: result, client_uuid: uuid(),
                   note: result === "fail" ? form.note.value.trim() : "" };
    var entry = { id: fields.client_uuid, run: runId, url: url, fields: fields };
    mark(fields.item_id, result, fields.note, true);
    counted();
    var photo = form.photo && form.photo.files && form.photo.files[0];
    if (photo) {  // a photo cannot wait in localStorage: send it now, queue the tick alone if that fails
      say(msg("sending"));
      var tries = 0;
      var withPhoto = function () {
        send(entry, photo).then(function (r) {
          if (r.resp.ok) { form.photo.value = ""; done(fields.item_id, r.data); say(""); flush(); }
          else if (r.resp.status === 422 || r.resp.status === 413) { showError(fields.item_id, r.data.message || msg("photo")); say(""); }
          else if (r.resp.status === 503 && ++tries < 5) { setTimeout(withPhoto, retryDelay(r.resp)); }  // busy: same id, same photo
          else { var q = load(); q.push(entry); save(q); say(msg("offline")); schedule(retryDelay(r.resp)); }
        }, function () { var q = load(); q.push(entry); save(q); say(msg("offline")); schedule(5000); });
      };
      withPhoto();
      return;
    }
    var q = load(); q.push(entry); save(q);
    flush();
  }

  list.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button");
    if (!btn || !list.contains(btn)) { return; }
    var form = btn.form;
    if (btn.classList.contains("js-fail")) {
      var box = form.querySelector(".fail-box"); box.open = true;
      form.note.focus();
      ev.preventDefault();
      return;
    }
    if (btn.type !== "submit" || !btn.value) { return; }  // "photo only" posts as a plain form
    ev.preventDefault();
    if (btn.value === "fail" && !form.note.value.trim()) {
      showError(form.item_id.value, msg("note"));
      form.note.focus();
      return;
    }
    queue(form, btn.value);
  });

  var finish = document.querySelector("form.finish");
  if (finish) {
    finish.addEventListener("submit", function (ev) {
      if (load().some(function (e) { return e.run === runId; })) {
        ev.preventDefault(); finish.dataset.sent = ""; say(msg("wait")); flush();
      }
    });
  }

  // Ticks left from an earlier visit (closed browser, lost signal) show and go out again.
  load().forEach(function (e) { if (e.run === runId) { mark(e.fields.item_id, e.fields.result, e.fields.note, true); } });
  counted();
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { flush(); } });
  flush();
})();
