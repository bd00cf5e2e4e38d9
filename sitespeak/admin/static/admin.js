// Small progressive enhancements; every page works without them (CSP: no inline scripts).
"use strict";

document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const field = document.querySelector(copy.dataset.copy);
    field.select();
    const done = () => { copy.textContent = "Copied"; setTimeout(() => { copy.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, () => document.execCommand("copy") && done());
    else if (document.execCommand("copy")) done();
  }
  const confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.dataset.confirm)) event.preventDefault();
});

document.addEventListener("change", (event) => {
  const form = event.target.closest("form.js-autosubmit");
  if (form) form.submit();
});

// Live crawl progress on a site page, from the admin event stream (job.progress / job.updated).
// "Crawl now" is sent with fetch so the stream stays open; without JS the form posts normally.
(function liveCrawl() {
  const box = document.querySelector("[data-live-site]");
  if (!box || !window.EventSource) return;
  const siteId = Number(box.dataset.liveSite);
  const line = document.getElementById("crawl-progress");
  const say = (text, state) => {
    line.textContent = text;
    line.dataset.state = state;
    const seen = JSON.parse(sessionStorage.getItem("sitespeak.live") || "[]");
    seen.push(text);
    sessionStorage.setItem("sitespeak.live", JSON.stringify(seen.slice(-50)));
  };
  // A crawl that started before this page connected (saving a new site starts one) may
  // finish unseen by the stream: while one is active the page also refreshes itself.
  if (box.dataset.active === "1") setTimeout(() => window.location.reload(), 4000);
  const source = new EventSource(box.dataset.events);
  source.addEventListener("open", () => { box.dataset.connected = "1"; });
  source.addEventListener("job.progress", (e) => {
    const data = JSON.parse(e.data).data;
    if (data.site_id !== siteId || data.done === undefined) return;
    say(`Crawling: ${data.done} page${data.done === 1 ? "" : "s"} done, ${data.queued} queued`, "running");
  });
  source.addEventListener("job.updated", (e) => {
    const job = JSON.parse(e.data).data;
    if (job.name !== "crawl.site" || !job.args || job.args.site_id !== siteId) return;
    if (job.status === "running" || job.status === "queued") {
      say(job.status === "queued" ? "Crawl queued…" : "Crawl running…", "running");
      return;
    }
    // The job can succeed while its crawl run failed (nothing indexed): the run decides.
    const run = job.result || {};
    if (job.status === "succeeded" && run.status === "failed") say(`Crawl failed: ${run.problem}`, "failed");
    else say(job.status === "succeeded" ? "Crawl done." : `Crawl ${job.status}: ${job.error || ""}`, job.status);
    setTimeout(() => window.location.assign(window.location.pathname), 800);
  });
  const form = box.querySelector("form.js-crawl");
  if (form) form.addEventListener("submit", (event) => {
    event.preventDefault();
    say("Starting a crawl…", "running");
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then((r) => { if (!r.ok) say(`Could not start the crawl (${r.status})`, "error"); },
            () => say("Could not reach the server", "error"));
  });
})();

// Times in the viewer's own zone and words ("today 15:05"); the server wrote them in UTC.
(function localTimes() {
  const now = new Date();
  const yesterday = new Date(now.getTime() - 864e5);
  const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
  document.querySelectorAll("time[data-local]").forEach((el) => {
    const when = new Date(el.dateTime);
    if (Number.isNaN(when.getTime())) return;
    const ago = (now - when) / 1000;
    let text;
    if (ago >= 0 && ago < 60) text = "just now";
    else if (ago >= 0 && ago < 3600) text = `${Math.floor(ago / 60)} min ago`;
    else if (when.toDateString() === now.toDateString()) text = `today ${clock.format(when)}`;
    else if (when.toDateString() === yesterday.toDateString()) text = `yesterday ${clock.format(when)}`;
    else {
      text = new Intl.DateTimeFormat(undefined, {
        day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
        year: when.getFullYear() === now.getFullYear() ? undefined : "numeric",
      }).format(when);
    }
    el.title = full.format(when);
    el.textContent = text;
  });
})();
