/* noiselab residents' page: public trials, one plain line each with its uncertainty, from
   /v1/public/overview (the server writes the sentence in the page's language; a trial without an interval
   is not listed at all). Runs after app.js, which defines window.NL. */
(function () {
  "use strict";
  async function render() {
    const NL = window.NL;
    const box = document.getElementById("trials");
    const list = document.getElementById("trial-lines");
    if (!NL || !box || !list) return;
    let data;
    try {
      data = await NL.getJSON("/v1/public/overview?lang=" + encodeURIComponent(NL.lang));
    } catch (e) {
      box.hidden = true;
      return;
    }
    const trials = (data && data.trials) || [];
    list.replaceChildren(...trials.map((t) => NL.el("li", { "data-trial": t.trial_id }, t.text)));
    box.hidden = trials.length === 0;
  }
  if (window.NL) window.NL.listeners.push(render);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
