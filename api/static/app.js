/* noiselab residents' page: shared helpers (language, cards, live stream) and the overview page.
   Our own code, no framework. Data: /v1/public/overview, /v1/public/stream (server-sent events). */
"use strict";
(function () {
  const I = window.NL_I18N;
  const KEY = "noiselab.lang";
  const embed = document.body.dataset.page === "embed";
  const NL = (window.NL = { listeners: [] });

  function initialLang() {
    const q = new URLSearchParams(location.search).get("lang");
    if (q && I[q]) return q;
    if (!embed) {
      try { const s = localStorage.getItem(KEY); if (s && I[s]) return s; } catch (e) { /* storage off */ }
    }
    return "da";
  }
  NL.lang = initialLang();

  NL.t = function (key, vals) {
    let s = I[NL.lang][key];
    if (s === undefined) s = I.da[key];
    if (typeof s === "string" && vals) s = s.replace(/\{(\w+)\}/g, (m, k) => (vals[k] !== undefined ? vals[k] : m));
    return s;
  };

  NL.el = function (tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  };

  NL.applyStatic = function () {
    document.documentElement.lang = NL.lang;
    document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = NL.t(e.dataset.i18n); });
    const b = document.getElementById("lang-switch");
    if (b) {
      b.textContent = NL.t("switchTo");
      b.setAttribute("lang", NL.t("switchLang"));
      b.setAttribute("aria-label", NL.t("switchLabel"));
    }
  };

  NL.setLang = function (lang) {
    NL.lang = lang;
    if (!embed) { try { localStorage.setItem(KEY, lang); } catch (e) { /* storage off */ } }
    NL.applyStatic();
    NL.listeners.forEach((f) => f(lang));
  };

  NL.time = function (iso, tz, withSeconds) {
    const opts = { hour: "2-digit", minute: "2-digit", timeZone: tz || "Europe/Copenhagen" };
    if (withSeconds) opts.second = "2-digit";
    return new Intl.DateTimeFormat(NL.t("locale"), opts).format(new Date(iso));
  };
  NL.whole = (v) => Math.floor(v + 0.5);
  NL.dB = (v) => (v === null || v === undefined ? "–" : NL.whole(v) + " dB");

  NL.getJSON = async function (url) {
    const r = await fetch(url, { headers: { Accept: "application/json" } });
    if (!r.ok) { const err = new Error(url + ": " + r.status); err.status = r.status; throw err; }
    return r.json();
  };

  /* One place as a card: name, level now with its band (colour AND words), the plain sentence, the target. */
  NL.card = function (s, tz, opts) {
    opts = opts || {};
    const title = opts.link
      ? NL.el("a", { href: "/sensors/" + encodeURIComponent(s.sensor_id), "aria-label": NL.t("details", { name: s.name }) }, s.name)
      : s.name;
    const heading = opts.headingTag === null ? null : NL.el(opts.headingTag || "h2", {}, title);
    const level = NL.el("span", { class: "level", "data-role": "level" });
    const badge = NL.el("span", { class: "badge", "data-role": "band", "aria-live": "polite", "aria-atomic": "true" });
    const now = NL.el("p", { class: "now" }, NL.el("span", { class: "visually-hidden", text: NL.t("nowLabel") + ": " }), level, badge);
    const meta = NL.el("p", { class: "meta", "data-role": "meta" });
    const li = NL.el("li", { class: "card", "data-sensor": s.sensor_id }, heading, now, meta);
    if (opts.summary !== false) li.append(NL.el("p", { class: "summary", "data-role": "summary", text: s.summary }));
    const tgt = NL.t("target", { v: NL.whole(s.target.lden_db), label: s.target.label });
    li.append(NL.el("p", { class: "target", text: tgt + (s.facade ? " · " + NL.t("facade") : "") }));
    NL.updateNow(li, s.now, tz);
    return li;
  };

  NL.updateNow = function (li, now, tz) {
    const level = li.querySelector("[data-role=level]");
    const badge = li.querySelector("[data-role=band]");
    const meta = li.querySelector("[data-role=meta]");
    const text = NL.dB(now.laeq_db);
    if (level.textContent !== text) level.textContent = text;
    if (badge.textContent !== now.band_text) badge.textContent = now.band_text;
    li.dataset.band = now.band;
    for (const e of [li, badge]) {
      e.classList.forEach((c) => { if (c.startsWith("band-")) e.classList.remove(c); });
      e.classList.add("band-" + now.band);
    }
    let m = NL.t("noReadings");
    if (now.status === "live") m = NL.t("nowLabel") + ", " + NL.t("nowHelp") + " · " + NL.t("updated", { t: NL.time(now.ts, tz, true) });
    else if (now.status === "stale") m = NL.t("stale", { t: NL.time(now.ts, tz) });
    // health checks doubt the levels (frozen, clipped, clock, drift): kept until the next overview says otherwise
    if (now.uncertain !== undefined) li.dataset.uncertain = now.uncertain ? "1" : "";
    if (li.dataset.uncertain) m += " · " + NL.t("uncertain");
    meta.textContent = m;
  };

  /* Server-sent events of new levels; EventSource reconnects by itself after the server ends a stream. */
  NL.stream = function (params, onLevel) {
    const status = document.getElementById("live-status");
    const q = new URLSearchParams(Object.assign({ lang: NL.lang }, params));
    const es = new EventSource("/v1/public/stream?" + q.toString());
    es.addEventListener("level", (ev) => onLevel(JSON.parse(ev.data)));
    es.onopen = () => { if (status) status.textContent = NL.t("live"); };
    es.onerror = () => { if (status && es.readyState !== EventSource.OPEN) status.textContent = NL.t("reconnecting"); };
    return es;
  };

  /* Refetch a page's data every NL.REFRESH_MS while the tab is visible, and at once when it becomes visible
     again: a page left open (or opened while the demo history is still arriving) fills in and stays current
     without a reload. ``refresh`` keeps what is shown when a fetch fails; the live stream is left alone. */
  NL.REFRESH_MS = 60000;
  NL.MIN_GAP_MS = 5000; // tab switches in quick succession fetch once
  NL.keepFresh = function (refresh) {
    let last = Date.now(), busy = false;
    async function run() {
      if (busy) return;
      busy = true;
      last = Date.now();
      try { await refresh(); } catch (e) { /* keep what is shown; the next round tries again */ } finally { busy = false; }
    }
    setInterval(() => { if (document.visibilityState !== "hidden") run(); }, NL.REFRESH_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && Date.now() - last >= NL.MIN_GAP_MS) run();
    });
  };

  /* Put a freshly built card in place of the shown one when it says something new; focus stays on its link. */
  NL.swapCard = function (old, fresh) {
    if (old.outerHTML === fresh.outerHTML) return old;
    const focused = old.contains(document.activeElement);
    old.replaceWith(fresh);
    const link = focused && fresh.querySelector("a");
    if (link) link.focus();
    return fresh;
  };

  const BAND_COLOURS = { under: "#1b7a3a", near: "#ffe08a", over: "#f08c00", "far-over": "#a8202f", none: "#5f6770" };
  NL.bandColour = (b) => BAND_COLOURS[b] || BAND_COLOURS.none;

  /* --- the overview page */
  // Leaflet 1.9.4 is served by us (api/static/vendor/leaflet): no CDN, and the CSP allows only this origin
  const LEAFLET = { css: "/static/vendor/leaflet/leaflet.css", js: "/static/vendor/leaflet/leaflet.js" };

  function loadLeaflet() {
    return new Promise((resolve, reject) => {
      if (window.L) return resolve(window.L);
      const css = NL.el("link", { rel: "stylesheet", href: LEAFLET.css });
      const js = NL.el("script", { src: LEAFLET.js });
      js.onload = () => (window.L ? resolve(window.L) : reject(new Error("no Leaflet")));
      js.onerror = () => reject(new Error("Leaflet did not load"));
      setTimeout(() => reject(new Error("Leaflet timed out")), 8000);
      document.head.append(css, js);
    });
  }

  // Leaflet inserts strings as HTML; everything we give it is a text node or escaped text
  NL.textNode = (text) => NL.el("span", { text: String(text) });
  NL.escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");

  function overviewPage() {
    const list = document.getElementById("sensors");
    const mapBox = document.getElementById("map");
    let data = null, es = null, map = null, markers = {};

    function renderLegend() {
      const ul = document.getElementById("legend");
      ul.replaceChildren(...data.bands.map((b) => NL.el("li", {}, NL.el("span", { class: "badge band-" + b.id, text: b.text }))));
    }

    function markerText(s) { return s.name + ": " + NL.dB(s.now.laeq_db) + " – " + s.now.band_text; }

    function updateMarker(s) {
      const m = markers[s.sensor_id];
      if (m) { m.setStyle({ fillColor: NL.bandColour(s.now.band) }); m.setTooltipContent(NL.textNode(markerText(s))); }
    }

    function renderMap() {
      if (!map) return;
      Object.values(markers).forEach((m) => m.remove());
      markers = {};
      const pts = [];
      for (const s of data.sensors) {
        if (s.lat === null || s.lon === null) continue;
        const m = window.L.circleMarker([s.lat, s.lon], { radius: 11, color: "#12324f", weight: 2, fillColor: NL.bandColour(s.now.band), fillOpacity: 0.95 });
        m.bindTooltip(NL.textNode(markerText(s)));
        m.on("click", () => { location.href = "/sensors/" + encodeURIComponent(s.sensor_id); });
        m.addTo(map);
        markers[s.sensor_id] = m;
        pts.push([s.lat, s.lon]);
      }
      if (pts.length) map.fitBounds(pts, { padding: [30, 30], maxZoom: 14 });
    }

    function render() {
      list.replaceChildren(...data.sensors.map((s) => NL.card(s, data.tz, { link: true })));
      list.setAttribute("aria-busy", "false");
      renderLegend();
      renderMap();
    }

    function onLevel(u) {
      const s = data && data.sensors.find((x) => x.sensor_id === u.sensor_id);
      if (!s) return;
      s.now = u.now;
      const li = list.querySelector('[data-sensor="' + CSS.escape(u.sensor_id) + '"]');
      if (li) NL.updateNow(li, u.now, data.tz);
      updateMarker(s);
    }

    const ids = (d) => d.sensors.map((s) => s.sensor_id).join("\n");

    /* The periodic refetch: the same places get their cards updated in place (the map keeps its view);
       places added or removed redraw the list and the map. */
    async function refresh() {
      const fresh = await NL.getJSON("/v1/public/overview?lang=" + NL.lang);
      const same = data && ids(data) === ids(fresh);
      data = fresh;
      if (!same) {
        render();
        if (!es) es = NL.stream({}, onLevel); // the first load had failed
        return;
      }
      for (const s of data.sensors) {
        const li = list.querySelector('[data-sensor="' + CSS.escape(s.sensor_id) + '"]');
        if (li) NL.swapCard(li, NL.card(s, data.tz, { link: true }));
        updateMarker(s);
      }
    }

    async function load() {
      try {
        data = await NL.getJSON("/v1/public/overview?lang=" + NL.lang);
      } catch (e) {
        list.replaceChildren(NL.el("li", { class: "card", text: NL.t("loadError") }));
        return;
      }
      render();
      if (es) es.close();
      es = NL.stream({}, onLevel);
    }

    Promise.all([loadLeaflet(), NL.getJSON("/v1/public/map")]).then(([L, tiles]) => {
      mapBox.replaceChildren();
      map = L.map(mapBox, { scrollWheelZoom: false }).setView([55.64, 12.39], 11);
      L.tileLayer(tiles.tile_url, { maxZoom: tiles.max_zoom, attribution: NL.escapeHtml(tiles.attribution) }).addTo(map);
      if (data) renderMap();
    }).catch(() => {
      mapBox.classList.add("unavailable");
      mapBox.replaceChildren(NL.el("p", { class: "map-note", "data-i18n": "mapUnavailable", text: NL.t("mapUnavailable") }));
    });
    NL.listeners.push(load);
    load();
    NL.keepFresh(refresh);
  }

  document.addEventListener("DOMContentLoaded", () => {
    NL.applyStatic();
    const b = document.getElementById("lang-switch");
    if (b) b.addEventListener("click", () => NL.setLang(NL.lang === "da" ? "en" : "da"));
    if (document.body.dataset.page === "overview") overviewPage();
  });
})();
