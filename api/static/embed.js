/* noiselab widget for other websites: one place, its level now (live) and last night in plain words.
   No cookies and no storage; the language comes from ?lang=da|en. */
"use strict";
(function () {
  const NL = window.NL;
  document.addEventListener("DOMContentLoaded", async () => {
    const id = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
    const list = document.getElementById("sensors");
    const more = document.getElementById("more");
    more.href = "/sensors/" + encodeURIComponent(id) + "?lang=" + NL.lang;
    let data;
    try {
      data = await NL.getJSON("/v1/public/overview?sensor=" + encodeURIComponent(id) + "&lang=" + NL.lang);
    } catch (e) {
      list.replaceChildren(NL.el("li", { class: "card", text: NL.t("loadError") }));
      return;
    }
    const s = data.sensors[0];
    if (!s) { list.replaceChildren(NL.el("li", { class: "card", text: NL.t("notFound") })); return; }
    const li = NL.card(s, data.tz, { headingTag: "h1" });
    list.replaceChildren(li);
    list.setAttribute("aria-busy", "false");
    NL.stream({ sensor: id }, (u) => { if (u.sensor_id === id) NL.updateNow(li, u.now, data.tz); });
  });
})();
