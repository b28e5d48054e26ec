// SafetyOps service worker (served as /sw.js by safetyops/dashboard/offline.py, which puts
// SHELL, SHELL_VERSION, IDB_SCRIPT and OFFLINE_URL above this line).  What it does:
// - precaches the app shell (every CSS and script file, the icons, the offline page);
// - pages: network first; a page that came back 200 is kept in the signed-in person's cache
//   ("pages-<key>", one per person), and opened from there with no signal;
// - a page it does not have: the offline page in the person's language, never the browser's;
// - a form with a client-made id posted while the network fails on the way: kept in the outbox
//   (IndexedDB, the same store as static/js/outbox.js) and the person sent back to the page;
// - "warm": caches the pages the person needs today (the page asks, /offline/pages.json lists);
// - "signout": drops every person's pages and the outbox.
// It never syncs by itself (no Background Sync: iOS lacks it); the open page does (outbox.js).
/* global SHELL, SHELL_VERSION, IDB_SCRIPT, OFFLINE_URL, idbKeyval */
"use strict";
importScripts(IDB_SCRIPT);

var SHELL_CACHE = "shell-" + SHELL_VERSION;
var PAGES_PREFIX = "pages-";
var META = idbKeyval.createStore("safetyops-meta", "meta");
var OUTBOX = idbKeyval.createStore("safetyops-outbox", "records");
var userKey = null;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return Promise.all(SHELL.map(function (url) {
      // The shell's offline page is fetched without cookies: nobody's name or school in it.
      var req = new Request(url, { credentials: url === OFFLINE_URL ? "omit" : "same-origin" });
      return fetch(req).then(function (resp) { if (resp.ok) { return cache.put(url, resp); } });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("shell-") === 0 && k !== SHELL_CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function currentUser() {
  if (userKey !== null) { return Promise.resolve(userKey); }
  return idbKeyval.get("user", META).then(function (k) { userKey = k || ""; return userKey; }, function () { return ""; });
}

function setUser(key) {
  key = key || "";
  userKey = key;
  return idbKeyval.set("user", key, META).then(function () {
    return caches.keys();
  }).then(function (keys) {  // another person's pages never stay beside this one's
    return Promise.all(keys.filter(function (k) { return k.indexOf(PAGES_PREFIX) === 0 && k !== PAGES_PREFIX + key; })
      .map(function (k) { return caches.delete(k); }));
  });
}

function signOut() {
  userKey = "";
  return Promise.all([
    idbKeyval.set("user", "", META),
    idbKeyval.clear(OUTBOX),
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf(PAGES_PREFIX) === 0; })
        .map(function (k) { return caches.delete(k); }));
    })
  ]);
}

function isLogin(resp) {
  try { return new URL(resp.url).pathname === "/login"; } catch (e) { return false; }
}

// A followed redirect cannot answer a navigation as it is: keep its body and headers only.
function plain(resp) {
  if (!resp.redirected) { return Promise.resolve(resp); }
  return resp.blob().then(function (body) {
    return new Response(body, { status: resp.status, statusText: resp.statusText, headers: resp.headers });
  });
}

function keepPage(url, resp) {
  return currentUser().then(function (key) {
    if (!key || resp.status !== 200 || resp.type !== "basic" || isLogin(resp)) { return; }
    return caches.open(PAGES_PREFIX + key).then(function (cache) { return cache.put(url, resp); });
  });
}

function offlinePage() {
  return currentUser().then(function (key) {
    var mine = key ? caches.open(PAGES_PREFIX + key).then(function (c) { return c.match(OFFLINE_URL); }) : Promise.resolve();
    return mine.then(function (hit) {
      return hit || caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE });
    });
  }).then(function (hit) {
    return hit || new Response("<!doctype html><title>Offline</title><p>Offline</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  });
}

function cachedPage(request) {
  return currentUser().then(function (key) {
    if (!key) { return undefined; }
    return caches.open(PAGES_PREFIX + key).then(function (cache) { return cache.match(request.url); });
  });
}

function navigate(event) {
  var request = event.request;
  return fetch(request).then(function (resp) {
    if (resp.ok && !resp.redirected) { event.waitUntil(keepPage(request.url, resp.clone())); }
    return resp;
  }, function () {
    return cachedPage(request).then(function (hit) { return hit || offlinePage(); });
  });
}

function uuid() {
  return self.crypto.randomUUID();
}

// A form posted as a page (no script on it, or the network failed after the page thought it
// was online): if it carries a client-made id, it waits in the outbox like any other record.
function postNavigate(event) {
  var request = event.request;
  var copy = request.clone();
  return fetch(request).catch(function () {
    return copy.formData().then(function (fd) {
      var id = fd.get("client_uuid") || fd.get("client_id");
      if (!id) { return offlinePage(); }
      var fields = [], files = [];
      fd.forEach(function (value, name) {
        if (typeof value === "string") { fields.push([name, value]); }
        else if (value && value.size) { files.push([name, value, value.name || "photo.jpg"]); }
      });
      var made = new Date().toISOString();
      var rec = { key: Date.now().toString(36).padStart(10, "0") + "-" + uuid(), id: String(id), url: request.url,
                  fields: fields, files: files, made: made, label: "", group: "", state: "waiting", error: "",
                  next: request.referrer || "/" };
      return idbKeyval.set(rec.key, rec, OUTBOX).then(function () {
        return Response.redirect(request.referrer || "/", 303);
      });
    }, function () { return offlinePage(); });
  });
}

function fromShell(request) {
  return caches.match(request.url, { cacheName: SHELL_CACHE }).then(function (hit) {
    return hit || fetch(request);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && request.mode === "navigate") {
    event.respondWith(postNavigate(event));
    return;
  }
  if (request.method !== "GET") { return; }
  if (url.pathname.indexOf("/static/") === 0 && url.search.indexOf("v=") >= 0) {
    event.respondWith(fromShell(request));  // fingerprinted: the cached copy is the right one
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
    return;
  }
  if (url.pathname === "/manifest.webmanifest") {
    event.respondWith(fetch(request).catch(function () { return fromShell(request); }));
  }
});

// The pages this person needs today, fetched into their cache (the page sends the list).
function warm(key, urls) {
  return setUser(key).then(function () {
    return caches.open(PAGES_PREFIX + key);
  }).then(function (cache) {
    return urls.reduce(function (chain, url) {
      return chain.then(function () {
        // The header: the server leaves the person's flashed messages for the page they open next.
        return fetch(url, { credentials: "same-origin", headers: { "X-SafetyOps-Warm": "1" } }).then(function (resp) {
          if (resp.status !== 200 || isLogin(resp)) { return; }
          return plain(resp).then(function (body) { return cache.put(url, body); });
        }, function () { /* offline now: keep what we had */ });
      });
    }, Promise.resolve());
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var port = event.ports && event.ports[0];
  var done = function () { if (port) { port.postMessage({ ok: true }); } };
  var work = null;
  if (data.type === "warm") { work = warm(data.user, data.pages || []); }
  else if (data.type === "user") { work = setUser(data.user); }
  else if (data.type === "signout") { work = signOut(); }
  else if (data.type === "claim") { work = self.clients.claim(); }
  if (work) { event.waitUntil(work.then(done, done)); }
});
