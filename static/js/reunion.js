// Reunification with no signal (templates/drills/reunion*.html, handover.html).  Progressive enhancement:
// without this file every page is a plain form.  It does three things:
// - a class page: filters its children as a name is typed (Cyrillic or Latin, the gate's folding);
// - the reunification screen with no connection: searches the class pages saved on this phone;
// - marks each child whose hand-over waits in the phone's outbox (static/js/outbox.js) "saved on this
//   phone", then "sent" once the outbox has sent it; a refused one shows the server's message.
(function () {
  "use strict";

  // ------------------------------------------------------------------ names: safetyops/gate/names.py in JS
  // The same keys as the server's name_key(): "Жумабаев", "Jumabaev" and "Dzhumabaev" fold to "jumabaev".
  var PRE = { "ә": "а", "қ": "к", "ғ": "г", "ң": "н", "ө": "о", "ү": "у", "ұ": "у", "һ": "х", "і": "и", "ё": "е" };
  var CYR = { "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i", "й": "i",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia", "ў": "u", "ї": "yi", "є": "ie", "ґ": "g", "æ": "ae", "œ": "oe", "ß": "ss", "ø": "o", "ł": "l",
    "đ": "d", "ı": "i", "'": "", "’": "" };
  var FOLDS = [["shch", "sh"], ["sch", "sh"], ["dzh", "j"], ["dj", "j"], ["zh", "j"], ["kh", "h"], ["tch", "ch"],
    ["ts", "c"], ["tz", "c"], ["ck", "k"], ["ph", "f"], ["x", "ks"], ["w", "v"], ["q", "k"], ["y", "i"]];
  var IOTATED = [["ia", "a"], ["iu", "u"], ["io", "e"], ["ie", "e"]];

  function swap(text, pairs) {
    pairs.forEach(function (p) { text = text.split(p[0]).join(p[1]); });
    return text;
  }
  function foldToken(t) {
    t = swap(t, FOLDS).replace(/(.)\1+/g, "$1");
    return swap(t, IOTATED).replace(/(.)\1+/g, "$1");
  }
  function tokens(name) {
    var low = String(name || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").normalize("NFC");
    var out = "";
    for (var i = 0; i < low.length; i++) {
      var c = PRE[low[i]] || low[i];
      out += Object.prototype.hasOwnProperty.call(CYR, c) ? CYR[c] : c;
    }
    return out.replace(/[^a-z0-9 ]+/g, " ").split(" ").map(foldToken).filter(Boolean);
  }
  // every word typed starts one of the name's words (the server's search)
  function matches(words, key) {
    var parts = String(key || "").split(" ");
    return words.every(function (w) { return parts.some(function (k) { return k.indexOf(w) === 0; }); });
  }
  window.SafetyNames = { tokens: tokens, key: function (name) { return tokens(name).join(" "); } };

  // ------------------------------------------------------------------ a class page: the filter
  var filterBox = document.getElementById("reunion-filter");
  var filter = document.getElementById("kid-filter");
  var kids = Array.prototype.slice.call(document.querySelectorAll(".reunion-kid[data-key]"));
  if (filterBox && filter) {
    filterBox.hidden = false;
    var none = document.getElementById("kid-none");
    filter.addEventListener("input", function () {
      var words = tokens(filter.value);
      var shown = 0;
      kids.forEach(function (li) {
        var hit = !words.length || matches(words, li.getAttribute("data-key"));
        li.hidden = !hit;
        shown += hit ? 1 : 0;
      });
      if (none) { none.hidden = shown > 0; }
    });
  }
  // opened from a search result (".../classes/3#child-17"): that child's form open
  function openTarget() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    var details = target && target.querySelector("details");
    if (details) { details.open = true; details.querySelector("summary").focus(); }
  }
  openTarget();
  window.addEventListener("hashchange", openTarget);

  // ------------------------------------------------------------------ the screen: search this phone
  var search = document.querySelector("form.reunion-search");
  var local = document.getElementById("reunion-local");
  if (search && local && window.caches && window.DOMParser) {
    search.addEventListener("submit", function (ev) {
      if (navigator.onLine !== false) { return; }  // with a signal: the server's search
      ev.preventDefault();
      search.dataset.sent = "";
      var words = tokens(search.elements.q.value);
      var links = Array.prototype.slice.call(document.querySelectorAll("a.reunion-class-link"));
      Promise.all(links.map(function (a) {
        return caches.match(a.href, { ignoreVary: true, ignoreSearch: false }).then(function (hit) {
          return hit ? hit.text().then(function (html) { return { link: a, html: html }; }) : null;
        }, function () { return null; });
      })).then(function (pages) {
        var list = document.getElementById("reunion-local-list");
        list.textContent = "";
        var found = 0;
        pages.forEach(function (p) {
          if (!p || !words.length) { return; }
          var doc = new DOMParser().parseFromString(p.html, "text/html");
          doc.querySelectorAll(".reunion-kid[data-key]").forEach(function (kid) {
            if (!matches(words, kid.getAttribute("data-key"))) { return; }
            found += 1;
            var li = document.createElement("li"); li.className = "list-item";
            var a = document.createElement("a"); a.className = "list-link reunion-local-child";
            a.href = p.link.getAttribute("href") + "#" + kid.id;
            a.setAttribute("data-path", kid.getAttribute("data-path") || "");
            var title = document.createElement("span"); title.className = "title";
            title.textContent = kid.querySelector(".title").textContent + " · " + p.link.getAttribute("data-class");
            var meta = document.createElement("span"); meta.className = "meta";
            var was = kid.querySelector(".reunion-kid-head .meta");
            meta.textContent = was ? was.textContent : "";
            a.appendChild(title); a.appendChild(meta); li.appendChild(a); list.appendChild(li);
          });
        });
        document.getElementById("reunion-local-n").textContent = String(found);
        document.getElementById("reunion-local-none").hidden = found > 0;
        local.hidden = false;
        markAll();
      });
    });
  }

  // ------------------------------------------------------------------ what waits in the outbox
  var box = document.querySelector(".reunion-kids") || local;
  function msg(name) { return (box && box.getAttribute("data-msg-" + name)) || ""; }
  function pathOf(url) { try { return new URL(url, location.href).pathname; } catch (e) { return ""; } }
  function field(rec, name) {
    var f = (rec.fields || []).filter(function (x) { return x[0] === name; })[0];
    return f ? f[1] : "";
  }
  // who takes the child, as the record says: a listed guardian's name from the form, else the adult typed
  function who(kid, rec) {
    var id = field(rec, "guardian_id");
    if (id) {
      var radio = kid.querySelector("input[name=guardian_id][value='" + id.replace(/[^0-9]/g, "") + "']");
      var label = radio && radio.closest("label");
      var name = label && label.querySelector(".reunion-who");
      if (name) { return name.textContent.trim(); }
    }
    return field(rec, "adult_name") || "?";
  }
  function mark(kid, rec, state, message) {
    var line = kid.querySelector(".reunion-local");
    if (!line) { return; }
    kid.classList.remove("is-queued", "is-sent", "is-failed");
    kid.classList.add("is-" + state);
    if (state === "failed") {
      line.textContent = msg("failed") + " " + (message || rec.error || "");
    } else {
      line.textContent = msg(state).replace("{name}", who(kid, rec));
      var details = kid.querySelector("details");
      if (details) { details.open = false; }
    }
    line.hidden = false;
  }
  function kidsFor(rec) {
    var path = pathOf(rec.url);
    return Array.prototype.filter.call(document.querySelectorAll(".reunion-kid[data-path]"), function (k) {
      return k.getAttribute("data-path") === path;
    });
  }
  function markAll() {
    if (!window.SafetyOutbox) { return; }
    window.SafetyOutbox.all().then(function (recs) {
      recs.forEach(function (rec) {
        kidsFor(rec).forEach(function (k) { mark(k, rec, rec.state === "failed" ? "failed" : "queued"); });
        Array.prototype.forEach.call(document.querySelectorAll("a.reunion-local-child"), function (a) {
          if (a.getAttribute("data-path") === pathOf(rec.url)) {
            a.querySelector(".meta").textContent = msg("queued");
          }
        });
      });
    });
  }
  if (box) {
    document.addEventListener("outbox:added", function (ev) {
      kidsFor(ev.detail.rec).forEach(function (k) { mark(k, ev.detail.rec, "queued"); });
    });
    document.addEventListener("outbox:sent", function (ev) {
      kidsFor(ev.detail.rec).forEach(function (k) { mark(k, ev.detail.rec, "sent"); });
    });
    document.addEventListener("outbox:failed", function (ev) {
      kidsFor(ev.detail.rec).forEach(function (k) { mark(k, ev.detail.rec, "failed", ev.detail.message); });
    });
    markAll();
  }
})();
