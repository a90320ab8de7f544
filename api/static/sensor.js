/* noiselab residents' page: one measuring point. Charts are our own SVG (no chart library). */
"use strict";
(function () {
  const NL = window.NL;
  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function scale(lo, hi, a, b) { return (v) => a + ((v - lo) / (hi - lo)) * (b - a); }

  function frame(W, H, pad, yLo, yHi, label) {
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": label });
    const y = scale(yLo, yHi, H - pad.b, pad.t);
    for (let v = Math.ceil(yLo / 10) * 10; v <= yHi; v += 10) {
      root.append(svg("line", { class: "grid", x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v) }));
      root.append(svg("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end" }, v + " dB"));
    }
    return { root, y };
  }

  /* Period limit (Lden target minus the period's penalty) at each local hour of the day. */
  function hourLimits(d) {
    const lim = new Array(24);
    for (const p of d.periods) {
      for (let h = p.start_h; h !== p.end_h; h = (h + 1) % 24) lim[h] = d.target.lden_db - p.penalty_db;
    }
    return lim;
  }

  function chart24(d) {
    const box = document.getElementById("chart24");
    const m = d.last_24h, n = m.laeq_db.length, t0 = Date.parse(m.start);
    const vals = m.laeq_db.filter((v) => v !== null);
    const lim = hourLimits(d);
    const hourOf = new Intl.DateTimeFormat("en-GB", { hour: "numeric", hourCycle: "h23", timeZone: d.tz });
    const lo = Math.floor(Math.min(40, ...vals, ...lim) / 10) * 10, hi = Math.ceil(Math.max(80, ...vals) / 10) * 10;
    const W = 720, H = 260, pad = { l: 46, r: 10, t: 10, b: 28 };
    const label = NL.t("chart24Alt", { max: vals.length ? NL.whole(Math.max(...vals)) : "–", min: vals.length ? NL.whole(Math.min(...vals)) : "–" });
    const { root, y } = frame(W, H, pad, lo, hi, label);
    const x = scale(0, n, pad.l, W - pad.r);
    let line = "", target = "", prevLim = null;
    for (let i = 0; i < n; i++) {
      const t = t0 + i * m.step_s * 1000;
      const h = Number(hourOf.format(t)) % 24;
      const v = m.laeq_db[i];
      line += v === null ? "" : ((i && m.laeq_db[i - 1] !== null ? "L" : "M") + x(i).toFixed(1) + "," + y(v).toFixed(1));
      if (lim[h] !== prevLim) {
        target += (target ? "L" + x(i).toFixed(1) + "," + y(prevLim).toFixed(1) : "") + (target ? "L" : "M") + x(i).toFixed(1) + "," + y(lim[h]).toFixed(1);
        prevLim = lim[h];
      }
      if (new Date(t).getUTCMinutes() === 0 && h % 3 === 0) {
        root.append(svg("line", { class: "grid", x1: x(i), x2: x(i), y1: pad.t, y2: H - pad.b }));
        root.append(svg("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, String(h).padStart(2, "0") + ":00"));
      }
    }
    target += "L" + x(n).toFixed(1) + "," + y(prevLim).toFixed(1);
    root.append(svg("path", { class: "line", d: line }));
    root.append(svg("path", { class: "target", d: target }));
    box.replaceChildren(root);
    const key = document.querySelector("[data-i18n=chartTargetKey]");
    const byName = Object.fromEntries(d.periods.map((p) => [p.name, NL.whole(d.target.lden_db - p.penalty_db)]));
    key.textContent = NL.t("chartTargetKey", { d: byName.day, e: byName.evening || "–", n: byName.night });
    document.getElementById("coverage24").textContent = NL.t("coverage24", { p: NL.whole(100 * m.coverage) });
  }

  function chart30(d) {
    const box = document.getElementById("chart30");
    const days = d.days, n = days.length, limit = d.target.lden_db;
    const vals = days.map((x) => x.lden_db).filter((v) => v !== null);
    const lo = Math.floor(Math.min(40, ...vals, limit) / 10) * 10, hi = Math.ceil(Math.max(70, ...vals, limit + 5) / 10) * 10;
    const W = 720, H = 240, pad = { l: 46, r: 10, t: 10, b: 28 };
    const over = days.filter((x) => x.margin_db !== null && x.margin_db > 0).length;
    const { root, y } = frame(W, H, pad, lo, hi, NL.t("chart30Alt", { over, n: vals.length, v: NL.whole(limit) }));
    const step = (W - pad.l - pad.r) / n;
    days.forEach((day, i) => {
      const x0 = pad.l + i * step;
      if (day.lden_db !== null) {
        root.append(svg("rect", { x: x0 + 2, width: Math.max(step - 4, 1), y: y(day.lden_db), height: y(lo) - y(day.lden_db), fill: NL.bandColour(day.band), stroke: "#12324f", "stroke-width": 0.5 }));
      }
      if (i % 5 === 0 || i === n - 1) root.append(svg("text", { x: x0 + step / 2, y: H - 8, "text-anchor": "middle" }, day.date.slice(8, 10) + "/" + day.date.slice(5, 7)));
    });
    root.append(svg("line", { class: "target", x1: pad.l, x2: W - pad.r, y1: y(limit), y2: y(limit) }));
    root.append(svg("text", { x: pad.l + 4, y: y(limit) - 5, "text-anchor": "start" }, NL.t("targetWord") + ": Lden " + NL.whole(limit) + " dB"));
    box.replaceChildren(root);
    const rows = days.slice().reverse().map((x) => NL.el("tr", {},
      NL.el("td", { text: x.date }), NL.el("td", { text: NL.dB(x.lden_db) }), NL.el("td", { text: NL.dB(x.lnight_db) }),
      NL.el("td", { text: NL.whole(100 * (x.coverage || 0)) + " %" }), NL.el("td", { text: String(x.events_70_night || 0) })));
    const head = NL.el("tr", {}, ...["colDate", "colLden", "colLnight", "colCoverage", "colEventsNight"].map((k) => NL.el("th", { scope: "col", text: NL.t(k) })));
    document.getElementById("table30").replaceChildren(NL.el("table", {}, NL.el("thead", {}, head), NL.el("tbody", {}, ...rows)));
  }

  function events(d) {
    const box = document.getElementById("events");
    const ev = d.last_24h.events;
    if (!ev.length) { box.replaceChildren(NL.el("p", { text: NL.t("noEvents") })); return; }
    const head = NL.el("tr", {}, ...["colTime", "colDuration", "colMax"].map((k) => NL.el("th", { scope: "col", text: NL.t(k) })));
    const shown = ev.slice(-20).reverse();
    const rows = shown.map((e) => NL.el("tr", {}, NL.el("td", { text: NL.time(e.start, d.tz, true) }),
      NL.el("td", { text: NL.t("seconds", { v: NL.whole(e.duration_s) }) }), NL.el("td", { text: NL.dB(e.max_db) })));
    const parts = [NL.el("table", {}, NL.el("thead", {}, head), NL.el("tbody", {}, ...rows))];
    if (d.last_24h.events_total > shown.length) parts.push(NL.el("p", { class: "meta", text: NL.t("eventsMore", { n: shown.length, total: d.last_24h.events_total }) }));
    box.replaceChildren(...parts);
  }

  function explain(d) {
    const vals = { label: d.target.label, v: NL.whole(d.target.lden_db), source: d.target.source, night: d.target.night_db !== null ? NL.whole(d.target.night_db) : "–", nightSource: d.target.night_source || "" };
    const parts = [];
    for (const [h, p] of NL.t("explain")) {
      if (p.includes("{night}") && d.target.night_db === null) continue;
      parts.push(NL.el("h3", { text: h }), NL.el("p", { text: p.replace(/\{(\w+)\}/g, (m, k) => (vals[k] !== undefined ? vals[k] : m)) }));
    }
    if (d.facade) parts.push(NL.el("p", { text: NL.t("facade") }));
    document.getElementById("explain").replaceChildren(...parts);
  }

  function page() {
    const id = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
    const list = document.getElementById("sensors");
    let es = null, current = null;

    const fetchSensor = () => NL.getJSON("/v1/public/sensors/" + encodeURIComponent(id) + "?lang=" + NL.lang);

    function render(d) {
      current = d;
      document.getElementById("sensor-name").textContent = d.name;
      document.title = d.name + " – noiselab";
      const shown = list.querySelector("li");
      const card = NL.card(d, d.tz, { headingTag: null });
      if (shown) NL.swapCard(shown, card); else list.replaceChildren(card);
      list.setAttribute("aria-busy", "false");
      chart24(d); chart30(d); events(d); explain(d);
    }

    async function load() { // first load and a change of language: the stream follows the language
      let d;
      try {
        d = await fetchSensor();
      } catch (e) {
        document.getElementById("sensor-name").textContent = e.status === 404 ? NL.t("notFound") : NL.t("loadError");
        return;
      }
      render(d);
      if (es) es.close();
      es = NL.stream({ sensor: id }, (u) => { const li = list.querySelector("li"); if (li && u.sensor_id === id) NL.updateNow(li, u.now, current.tz); });
    }

    NL.listeners.push(load);
    load();
    NL.keepFresh(async () => render(await fetchSensor()));
  }

  document.addEventListener("DOMContentLoaded", page);
})();
