// A long <select data-search="placeholder"> (the gate's host picker) becomes a field to type a
// few letters of a name in, with the names offered as you type (<input list> + <datalist>, in the
// select's own order: the most frequent first).  The select stays in the form, hidden: it is what
// is sent, kept in the draft and in the outbox.  Progressive enhancement only: without this file
// the plain select works as before.
(function () {
  "use strict";
  document.querySelectorAll("select[data-search]").forEach(function (select) {
    var none = select.options.length ? select.options[0] : null;  // "— nobody —"
    var byName = {};
    var list = document.createElement("datalist");
    list.id = select.id + "-names";
    Array.prototype.forEach.call(select.options, function (o) {
      if (o === none) { return; }
      var opt = document.createElement("option");
      opt.value = o.text;
      list.appendChild(opt);
      byName[o.text.trim().toLowerCase()] = o.value;
    });
    var input = document.createElement("input");
    input.type = "text";
    input.id = select.id + "-search";
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.setAttribute("autocapitalize", "words");
    input.placeholder = select.getAttribute("data-search");
    var note = document.createElement("p");
    note.className = "error";
    note.id = select.id + "-search-note";
    note.hidden = true;
    note.textContent = select.getAttribute("data-search-none") || "";
    input.setAttribute("aria-describedby", note.id);

    function show() {
      var chosen = select.options[select.selectedIndex];
      input.value = chosen && chosen !== none ? chosen.text : "";
    }
    function matched() {
      var text = input.value.trim().toLowerCase();
      return text === "" ? (none ? none.value : "") : byName[text];
    }
    function sync(final) {
      var value = matched();
      if (value !== undefined) { select.value = value; }
      else if (none) { select.value = none.value; }
      var bad = value === undefined && final;
      note.hidden = !bad;
      input.setAttribute("aria-invalid", bad ? "true" : "false");
      return value !== undefined;
    }
    input.addEventListener("input", function () { sync(false); });
    input.addEventListener("change", function () { sync(true); });
    // A name that is no staff member's is not sent as "nobody": the form waits until one is picked.
    if (select.form) {
      window.addEventListener("submit", function (ev) {
        if (ev.target !== select.form || sync(true)) { return; }
        ev.preventDefault();
        ev.stopImmediatePropagation();
        input.focus();
      }, true);
    }
    select.addEventListener("change", show);  // a restored draft
    window.addEventListener("pageshow", show);

    var label = document.querySelector("label[for='" + select.id + "']");
    if (label) { label.htmlFor = input.id; }
    select.hidden = true;
    select.tabIndex = -1;
    select.parentNode.insertBefore(input, select.nextSibling);
    select.parentNode.insertBefore(list, input.nextSibling);
    select.parentNode.insertBefore(note, list.nextSibling);
    show();
  });
})();
