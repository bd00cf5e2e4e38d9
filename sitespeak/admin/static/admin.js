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
(function liveCrawl() {
  const box = document.querySelector("[data-live-site]");
  if (!box || !window.EventSource) return;
  const siteId = Number(box.dataset.liveSite);
  const line = document.getElementById("crawl-progress");
  const source = new EventSource(box.dataset.events);
  source.addEventListener("job.progress", (e) => {
    const data = JSON.parse(e.data).data;
    if (data.site_id !== siteId || data.done === undefined) return;
    line.textContent = `Crawling: ${data.done} page${data.done === 1 ? "" : "s"} done, ${data.queued} queued`;
    line.dataset.state = "running";
  });
  source.addEventListener("job.updated", (e) => {
    const job = JSON.parse(e.data).data;
    if (job.name !== "crawl.site" || !job.args || job.args.site_id !== siteId) return;
    if (job.status === "running" || job.status === "queued") {
      line.textContent = job.status === "queued" ? "Crawl queued…" : "Crawl running…";
      line.dataset.state = "running";
    } else {
      line.textContent = job.status === "succeeded" ? "Crawl done." : `Crawl ${job.status}: ${job.error || ""}`;
      line.dataset.state = job.status;
      source.close();
      setTimeout(() => window.location.reload(), 800);
    }
  });
})();
