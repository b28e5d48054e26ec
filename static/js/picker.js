// A long <select data-search="placeholder"> (the gate's host picker) gets a field above it to type
// a few letters of a name in, with the names offered as you type (<input list> + <datalist>, in
// the select's own order: the most frequent first); picking a name selects it in the select.  The
// select stays as it is, visible: it shows what will be sent, can still be used by itself, and is
// what the draft and the outbox keep.  Progressive enhancement only: without this file the plain
// select works as before.
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
    input.type = "search";
    input.id = select.id + "-search";
    input.className = "picker-search";
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.setAttribute("autocapitalize", "words");
    input.setAttribute("enterkeyhint", "done");
    input.placeholder = select.getAttribute("data-search");
    input.setAttribute("aria-label", select.getAttribute("data-search"));
    var note = document.createElement("p");
    note.className = "error";
    note.id = select.id + "-search-note";
    note.hidden = true;
    note.textContent = select.getAttribute("data-search-none") || "";
    input.setAttribute("aria-describedby", note.id);

    function pick(final) {
      var text = input.value.trim().toLowerCase();
      var value = text ? byName[text] : undefined;
      if (value !== undefined) { select.value = value; }
      note.hidden = !(final && text && value === undefined);
    }
    input.addEventListener("input", function () { pick(false); });
    input.addEventListener("change", function () { pick(true); });
    // Enter in the search field picks the name; it does not send the form half-filled.
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); pick(true); }
    });
    select.addEventListener("change", function () { input.value = ""; note.hidden = true; });

    select.parentNode.insertBefore(input, select);
    select.parentNode.insertBefore(list, select);
    select.parentNode.insertBefore(note, select);
  });
})();
