// The phone's outbox: every record made while offline waits here (IndexedDB through the vendored
// idb-keyval; photos are blobs) with its client-made id and the time it was made, and is sent by
// the open page when the connection is back, oldest first, with back-off (no Background Sync:
// iOS lacks it).  The badge says what waits and what the server refused, with its message.
// Also here: the service worker's registration, caching today's pages, form drafts that survive
// a lost connection, and clearing the phone at sign-out.  Progressive enhancement: without it
// every form posts as a plain form.
/* global idbKeyval */
(function () {
  "use strict";
  if (!window.idbKeyval || !window.indexedDB || !window.fetch || !window.FormData) { return; }
  var STORE = idbKeyval.createStore("safetyops-outbox", "records");
  var META = idbKeyval.createStore("safetyops-meta", "meta");
  var badge = document.getElementById("outbox");
  var signedIn = !!badge;
  var sending = false;
  var timer = null;
  var failures = 0;
  var ID_FIELDS = ["client_uuid", "client_id"];

  function msg(name) { return (badge && badge.getAttribute("data-msg-" + name)) || ""; }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function emit(name, detail) { document.dispatchEvent(new CustomEvent("outbox:" + name, { detail: detail })); }

  // ------------------------------------------------------------------ the store

  function all() {
    return idbKeyval.entries(STORE).then(function (rows) {
      return rows.map(function (r) { return r[1]; }).sort(function (a, b) { return a.key < b.key ? -1 : 1; });
    }, function () { return []; });
  }

  // rec: {url, fields: [[name, value]], files: [[name, blob, filename]], label, group, id?}
  function add(rec) {
    var made = new Date();
    var idField = (rec.fields || []).filter(function (f) { return ID_FIELDS.indexOf(f[0]) >= 0; })[0];
    var full = {
      key: made.getTime().toString(36).padStart(10, "0") + "-" + uuid(),
      id: rec.id || (idField ? idField[1] : uuid()), url: rec.url, fields: rec.fields || [], files: rec.files || [],
      made: made.toISOString(), label: rec.label || "", group: rec.group || "", state: "waiting", error: "",
      next: rec.next || ""
    };
    return idbKeyval.set(full.key, full, STORE).then(function () {
      render(); emit("added", { rec: full }); schedule(0);
      return full;
    });
  }

  function discard(key) { return idbKeyval.del(key, STORE).then(render); }

  // ------------------------------------------------------------------ sending

  function token() {
    return fetch("/offline/pages.json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.redirected || !r.ok) { return { signedOut: r.redirected || r.status === 401 || r.status === 403, status: r.status }; }
        return r.json();
      });
  }

  function body(rec, csrf) {
    var fd = new FormData();
    rec.fields.forEach(function (f) { if (f[0] !== "csrf_token") { fd.append(f[0], f[1]); } });
    if (csrf) { fd.append("csrf_token", csrf); }
    if (!rec.fields.some(function (f) { return f[0] === "client_made_at"; })) { fd.append("client_made_at", rec.made); }
    rec.files.forEach(function (f) { fd.append(f[0], f[1], f[2] || "photo.jpg"); });
    return fd;
  }

  // What the server said about a refused record: its JSON message, else the page's error lines.
  function reason(resp, text) {
    var type = resp.headers.get("Content-Type") || "";
    if (type.indexOf("json") >= 0) {
      try { var data = JSON.parse(text); return { data: data, error: data.ok === false || data.error ? (data.message || "") : null }; }
      catch (e) { return { data: {}, error: null }; }
    }
    var doc = new DOMParser().parseFromString(text, "text/html");
    var bad = doc.querySelectorAll(".flash-error:not([hidden]), .field .error");
    var lines = Array.prototype.map.call(bad, function (el) { return el.textContent.trim(); }).filter(Boolean);
    return { data: {}, error: lines.length ? lines.join(" ") : null };
  }

  function sendOne(rec, csrf) {
    return fetch(rec.url, {
      method: "POST", body: body(rec, csrf), credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json, text/html;q=0.9", "X-Requested-With": "fetch" }
    }).then(function (resp) {
      return resp.text().then(function (text) {
        if (resp.redirected && new URL(resp.url).pathname === "/login") { return { retry: true, signedOut: true }; }
        var status = resp.status;
        if (status >= 500 || status === 408 || status === 429) {
          var s = parseFloat(resp.headers.get("Retry-After"));
          return { retry: true, after: s > 0 ? s * 1000 : 0 };
        }
        var said = reason(resp, text);
        if (resp.ok && said.error === null) { return { ok: true, data: said.data }; }
        return { failed: true, message: said.error || (status + " " + resp.statusText) };
      });
    }, function () { return { retry: true }; });
  }

  function flush() {
    if (sending || !signedIn) { return Promise.resolve(); }
    sending = true;
    clearTimeout(timer);
    var lock = navigator.locks ? function (fn) { return navigator.locks.request("safetyops-outbox", fn); }
                               : function (fn) { return fn(); };
    return lock(function () {
      return all().then(function (recs) {
        var waiting = recs.filter(function (r) { return r.state === "waiting"; });
        if (!waiting.length) { return null; }
        return token().then(function (t) {
          if (!t.csrf) { return t.signedOut ? "signin" : "retry"; }
          var i = 0;
          var next = function () {
            if (i >= waiting.length) { return null; }
            var rec = waiting[i++];
            return sendOne(rec, t.csrf).then(function (out) {
              if (out.retry) { return out.signedOut ? "signin" : { after: out.after }; }
              if (out.ok) {
                return idbKeyval.del(rec.key, STORE).then(function () { emit("sent", { rec: rec, data: out.data }); return next(); });
              }
              rec.state = "failed"; rec.error = out.message;
              return idbKeyval.set(rec.key, rec, STORE).then(function () { emit("failed", { rec: rec, message: out.message }); return next(); });
            });
          };
          return next();
        }, function () { return "retry"; });
      });
    }).then(function (outcome) {
      sending = false;
      if (outcome === null) {
        failures = 0; note(""); render();
        // records added while this pass was sending (quick ticks) go now, not at some later trigger
        return all().then(function (recs) {
          if (recs.some(function (r) { return r.state === "waiting"; })) { flush(); }
        });
      }
      if (outcome === "signin") { note(msg("signin")); render(); return; }
      failures += 1;
      var wait = Math.min(60000, 2000 * Math.pow(2, failures - 1));
      if (outcome && outcome.after) { wait = Math.max(wait, outcome.after); }
      schedule(wait * (1 + Math.random() * 0.5));  // spread: many phones do not come back at once
      render();
    }, function () { sending = false; schedule(5000); });
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(function () { if (navigator.onLine !== false) { flush(); } else { render(); } }, ms);
  }

  // ------------------------------------------------------------------ the badge

  var noteText = "";
  function note(text) { noteText = text || ""; }

  function render() {
    if (!badge) { return Promise.resolve(); }
    return all().then(function (recs) {
      var waiting = recs.filter(function (r) { return r.state === "waiting"; }).length;
      var failed = recs.filter(function (r) { return r.state === "failed"; });
      var parts = [];
      if (waiting) { parts.push(msg("waiting").replace("{n}", waiting)); }
      if (failed.length) { parts.push(msg("failed").replace("{n}", failed.length)); }
      var offline = navigator.onLine === false;
      badge.hidden = !parts.length && !offline;
      badge.setAttribute("data-waiting", String(waiting));
      badge.setAttribute("data-failed", String(failed.length));
      badge.classList.toggle("has-failed", failed.length > 0);
      badge.querySelector(".outbox-count").textContent = parts.length ? parts.join(" · ") : msg("offline");
      var line = badge.querySelector(".outbox-note");
      line.textContent = offline && parts.length ? msg("offline") : noteText;
      line.hidden = !line.textContent;
      var list = badge.querySelector(".outbox-list");
      list.textContent = "";
      recs.forEach(function (r) {
        var li = document.createElement("li");
        li.className = "outbox-item is-" + r.state;
        var t = document.createElement("span");
        var when = new Date(r.made);
        t.textContent = (r.label || decodeURIComponent(new URL(r.url, location.href).pathname)) + " · " +
          when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        li.appendChild(t);
        if (r.state === "failed") {
          var e = document.createElement("p"); e.className = "error"; e.setAttribute("role", "alert");
          e.textContent = r.error; li.appendChild(e);
          var b = document.createElement("button"); b.type = "button"; b.className = "btn";
          b.textContent = msg("discard"); b.setAttribute("data-discard", r.key); li.appendChild(b);
        }
        list.appendChild(li);
      });
      badge.querySelector(".outbox-send").hidden = !waiting || offline;
    });
  }

  if (badge) {
    badge.addEventListener("click", function (ev) {
      var b = ev.target.closest("button");
      if (!b) { return; }
      if (b.hasAttribute("data-discard")) { discard(b.getAttribute("data-discard")); }
      else if (b.classList.contains("outbox-send")) { failures = 0; flush(); }
    });
  }

  // ------------------------------------------------------------------ forms: offline, ids, drafts

  function freshId(name) { return name === "client_id" ? uuid().replace(/-/g, "") : uuid(); }

  // A page opened from the phone's cache carries the id of the day it was saved: every form that
  // makes a record gets its own new id here (a 503 page sending the same form again keeps its own).
  document.querySelectorAll("form[data-outbox]").forEach(function (form) {
    if (form.hasAttribute("data-retry-after")) { return; }
    ID_FIELDS.forEach(function (name) { var el = form.elements[name]; if (el && el.type === "hidden") { el.value = freshId(name); } });
  });

  function formRecord(form, submitter) {
    var fd;
    try { fd = new FormData(form, submitter || undefined); } catch (e) { fd = new FormData(form); }
    if (submitter && submitter.name && !fd.has(submitter.name)) { fd.append(submitter.name, submitter.value); }
    var fields = [], files = [];
    fd.forEach(function (value, name) {
      if (typeof value === "string") { fields.push([name, value]); }
      else if (value && value.size) { files.push([name, value, value.name]); }
    });
    if (!ID_FIELDS.some(function (n) { return fd.has(n); })) { fields.push(["client_uuid", uuid()]); }
    var named = form.getAttribute("data-outbox-name");
    var extra = named && form.elements[named] ? form.elements[named].value.trim() : "";
    return { url: form.action, fields: fields, files: files,
             label: form.getAttribute("data-outbox") + (extra ? ": " + extra : ""),
             group: form.getAttribute("data-outbox-group") || "", next: form.getAttribute("data-outbox-next") || "" };
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (ev.defaultPrevented) { return; }
    var offlineHref = form.getAttribute("data-offline-href");
    if (navigator.onLine !== false) { return; }
    if (offlineHref) { ev.preventDefault(); location.href = offlineHref; return; }
    if (!form.hasAttribute("data-outbox")) { return; }
    ev.preventDefault();
    form.dataset.sent = "";
    add(formRecord(form, ev.submitter)).then(function (rec) {
      dropDraft(form);
      try { sessionStorage.setItem("safetyops.outbox.flash", "1"); } catch (e) { /* private mode */ }
      if (rec.next) { location.href = rec.next; }
      else { form.reset(); ID_FIELDS.forEach(function (n) { if (form.elements[n]) { form.elements[n].value = freshId(n); } }); showQueued(); }
    });
  });

  function showQueued() {
    var text = msg("queued");
    if (!text) { return; }
    var main = document.getElementById("main");
    var box = document.createElement("div"); box.className = "flashes"; box.setAttribute("role", "status");
    var p = document.createElement("p"); p.className = "flash flash-info outbox-queued"; p.textContent = text;
    box.appendChild(p); main.insertBefore(box, main.firstChild);
  }
  try { if (sessionStorage.getItem("safetyops.outbox.flash")) { sessionStorage.removeItem("safetyops.outbox.flash"); showQueued(); } }
  catch (e) { /* private mode */ }

  // Drafts: what was typed in a form[data-draft] stays on the phone until the server took it.
  var DRAFT = "safetyops.draft:";
  function draftKey(form) { return DRAFT + new URL(form.action, location.href).pathname; }
  function dropDraft(form) { try { localStorage.removeItem(draftKey(form)); } catch (e) { /* ignore */ } }
  function keepDraft(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "file" || el.type === "password" || el.type === "submit") { return; }
      data[el.name] = (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value;
    });
    try { localStorage.setItem(draftKey(form), JSON.stringify(data)); } catch (e) { /* full */ }
  }
  function restoreDraft(form) {
    var data;
    try { data = JSON.parse(localStorage.getItem(draftKey(form)) || "null"); } catch (e) { data = null; }
    if (!data) { return; }
    Object.keys(data).forEach(function (name) {
      var el = form.elements[name];
      if (!el || el.type === "hidden") { return; }
      if (el.type === "checkbox" || el.type === "radio") { el.checked = !!data[name]; } else { el.value = data[name]; }
    });
  }
  var SENT = "safetyops.draft-sent";
  var sentKey = null;
  try { sentKey = sessionStorage.getItem(SENT); sessionStorage.removeItem(SENT); } catch (e) { sentKey = null; }
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var hasErrors = !!form.querySelector(".field .error, .flash-error:not([hidden])");
    if (sentKey === draftKey(form) && hasErrors) { /* the server sent the form back: its values stand */ }
    else { restoreDraft(form); }
    form.addEventListener("input", function () { keepDraft(form); });
    form.addEventListener("change", function () { keepDraft(form); });
    form.addEventListener("submit", function () { try { sessionStorage.setItem(SENT, draftKey(form)); } catch (e) { /* ignore */ } });
  });
  // The form went out and this page is not that form coming back with errors: the server has it.
  if (sentKey && !Array.prototype.some.call(document.querySelectorAll("form[data-draft]"), function (f) {
    return draftKey(f) === sentKey && f.querySelector(".field .error, .flash-error:not([hidden])");
  }) && !document.querySelector("form[data-retry-after]") && !document.getElementById("offline-page")) {
    try { localStorage.removeItem(sentKey); } catch (e) { /* ignore */ }
  }

  // ------------------------------------------------------------------ sign-out clears the phone

  function clearPhone() {
    var jobs = [idbKeyval.clear(STORE), idbKeyval.clear(META)];
    try {
      Object.keys(localStorage).forEach(function (k) { if (k.indexOf("safetyops.") === 0) { localStorage.removeItem(k); } });
      sessionStorage.clear();
    } catch (e) { /* ignore */ }
    if (window.caches) {
      jobs.push(caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("pages-") === 0; }).map(function (k) { return caches.delete(k); }));
      }));
    }
    var sw = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (sw) { sw.postMessage({ type: "signout" }); }
    return Promise.all(jobs).catch(function () { /* sign out anyway */ });
  }
  document.querySelectorAll("form[action$='/logout']").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.cleared === "1") { return; }
      ev.preventDefault();
      all().then(function (recs) {
        if (recs.length && !window.confirm(msg("signout"))) { form.dataset.sent = ""; return; }
        clearPhone().then(function () { form.dataset.cleared = "1"; form.submit(); });
      });
    });
  });

  // ------------------------------------------------------------------ the service worker and today's pages

  var WARM_EVERY = 10 * 60 * 1000;
  function warm(sw) {
    if (!sw || !signedIn || navigator.onLine === false) { return; }
    var fresh = document.documentElement.getAttribute("data-user") || "";
    idbKeyval.get("warmed", META).then(function (last) {
      if (last && last.user === fresh && Date.now() - last.at < WARM_EVERY) {
        sw.postMessage({ type: "user", user: fresh });
        document.documentElement.setAttribute("data-offline-ready", "1");
        return;
      }
      return fetch("/offline/pages.json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok && !r.redirected ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var channel = new MessageChannel();
          channel.port1.onmessage = function () {
            idbKeyval.set("warmed", { user: data.user, at: Date.now() }, META);
            document.documentElement.setAttribute("data-offline-ready", "1");
          };
          sw.postMessage({ type: "warm", user: data.user, pages: data.pages }, [channel.port2]);
        });
    }).catch(function () { /* offline: the cache stays as it was */ });
  }

  if ("serviceWorker" in navigator) {
    var swUrl = document.documentElement.getAttribute("data-sw");
    if (swUrl) {
      navigator.serviceWorker.register(swUrl, { scope: "/" }).catch(function () { /* no worker: pages need the network */ });
      navigator.serviceWorker.ready.then(function (reg) {
        // A page loaded while the worker was being installed is not controlled yet: ask for it.
        if (!navigator.serviceWorker.controller && reg.active) { reg.active.postMessage({ type: "claim" }); }
        warm(reg.active);
      });
    }
  }

  // The browser's own install offer, shown as a menu button when it makes one.
  var install = document.getElementById("install-app");
  var offer = null;
  window.addEventListener("beforeinstallprompt", function (ev) {
    ev.preventDefault(); offer = ev;
    if (install) { install.hidden = false; }
  });
  if (install) {
    install.addEventListener("click", function () { if (offer) { offer.prompt(); offer = null; install.hidden = true; } });
  }

  window.SafetyOutbox = { add: add, all: all, flush: flush, discard: discard, render: render, uuid: uuid };
  window.addEventListener("online", function () { failures = 0; render(); flush(); });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { flush(); } });
  render();
  flush();
})();
