/* Messages area, progressive enhancement only:
   - a live character / SMS-part counter under the broadcast text;
   - the broadcast progress card reloads itself while messages are still being sent. */
(function () {
  "use strict";
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXT = "\f^{}\\[~]|€";

  function count(text) {
    var gsm = true, units = 0, i, ch;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (GSM.indexOf(ch) >= 0) { units += 1; } else if (EXT.indexOf(ch) >= 0) { units += 2; } else { gsm = false; break; }
    }
    if (!gsm) { units = text.length; }
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var parts = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
    return { units: units, parts: parts, single: single };
  }

  function initCounter() {
    var area = document.querySelector("textarea[data-sms-counter]");
    var out = document.getElementById("sms-counter");
    if (!area || !out) { return; }
    var template = out.getAttribute("data-template") || "{units} / {single} · {parts} SMS";
    function update() {
      var c = count(area.value);
      out.textContent = template.replace("{units}", c.units).replace("{single}", c.single).replace("{parts}", c.parts);
      out.classList.toggle("over", c.parts > 1);
    }
    out.hidden = false;
    area.addEventListener("input", update);
    update();
  }

  function initRefresh() {
    var card = document.getElementById("sms-progress");
    if (!card) { return; }
    var seconds = parseInt(card.getAttribute("data-refresh") || "0", 10);
    if (seconds > 0) { window.setTimeout(function () { window.location.reload(); }, seconds * 1000); }
  }

  document.addEventListener("DOMContentLoaded", function () { initCounter(); initRefresh(); });
}());
