"""Crawl benchmark: a generated 1,000-page site served on loopback (by a separate process, so
the server does not share the crawler's GIL); prints pages/s for the first crawl and for an
unchanged recrawl (304s and hash hits). Goals: >= 100 and >= 1,000 pages/s. Embedding is a
separate job and is not part of these figures."""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _stack import bench_services, settings_for

from sitespeak import sites
from sitespeak.crawl.run import crawl_site
from sitespeak.db.connection import database
from sitespeak.tenancy.tenants import create_tenant

WORDS = (
    "bread oven flour rye spelt crust crumb yeast dough bake morning shop coffee cake "
    "butter sugar salt water proof knead loaf bun roll tart pie"
).split()


def page_html(i: int, pages: int) -> bytes:
    text = " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(120))
    links = "".join(
        f"<a href='/p/{(i * 13 + k) % pages}'>Page {(i * 13 + k) % pages}</a>" for k in range(1, 6)
    )
    return (
        f"<!doctype html><html lang='en'><head><title>Page {i}</title></head><body><nav>"
        f"{links}</nav><main><h1 id='top'>Page {i}</h1><p>{text}.</p><h2 id='more'>More"
        f"</h2><p>Section two of page {i}: {text[:200]}.</p></main></body></html>"
    ).encode()


def serve(port_box, pages: int) -> None:
    bodies = {f"/p/{i}": page_html(i, pages) for i in range(pages)}
    etags = {k: '"' + hashlib.sha1(v).hexdigest()[:16] + '"' for k, v in bodies.items()}
    sitemap = (
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(f"<url><loc>http://127.0.0.1:{{port}}/p/{i}</loc></url>" for i in range(pages))
        + "</urlset>"
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to every response

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/sitemap.xml":
                return self._send(
                    200, "application/xml", sitemap.replace("{port}", str(port)).encode(), {}
                )
            body = bodies.get(self.path)
            if body is None:
                return self._send(404, "text/plain", b"no", {})
            if self.headers.get("If-None-Match") == etags[self.path]:
                return self._send(304, "text/html", b"", {"ETag": etags[self.path]})
            self._send(200, "text/html; charset=utf-8", body, {"ETag": etags[self.path]})

        def _send(self, status: int, ctype: str, body: bytes, headers: dict) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    port_box.put(port)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    opts = parser.parse_args()
    box = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(box, opts.pages), daemon=True)
    server.start()
    port = box.get(timeout=10)
    try:
        with bench_services() as (found, state):
            settings = settings_for(found, crawl_concurrency=opts.concurrency)
            with database.connection_context():
                tenant, _ = create_tenant("bench")
                site = sites.create_site(
                    tenant.id,
                    "bench",
                    [f"http://127.0.0.1:{port}/p/0"],
                    True,
                    privileged=True,
                    max_pages=opts.pages + 10,
                )
            for label in ("first crawl", "unchanged recrawl"):
                start = time.perf_counter()
                with database.connection_context():
                    totals = crawl_site(site, settings)
                elapsed = time.perf_counter() - start
                print(
                    f"{label}: {totals['pages']} pages in {elapsed:.2f} s = "
                    f"{totals['pages'] / elapsed:.0f} pages/s (new {totals['new']}, unchanged "
                    f"{totals['unchanged']}, 304s {totals['not_modified']}, failed "
                    f"{totals['failed']}); load average {os.getloadavg()[0]:.1f} on "
                    f"{os.cpu_count()} CPUs"
                )
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
