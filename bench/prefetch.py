"""What the widget's prefetch of a cited page buys (issue 16, item 17): the time from clicking
an answer's citation to the cited page's load event, with the prefetch and without it, in
Debian's Chromium. The site is a loopback server that takes SITE_DELAY_MS to answer (as a real
site's time to first byte); the voice server is played by the browser itself (Playwright's
route_web_socket answers the question with a citation), so only the navigation is measured.
Prints figures; nothing is asserted.

    python bench/prefetch.py [--runs 10] [--delay-ms 300]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]  # bench/http.py
sys.path.insert(0, str(_HERE.parent))

from tests.support.browser import chromium  # noqa: E402

WIDGET = Path(__file__).resolve().parents[1] / "sitespeak" / "widget" / "widget.js"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1 id="top">{title}</h1><p>{text}</p>
<script src="{widget}/widget.js" data-site-key="pk_bench" data-voice="off" async></script>
</body></html>"""


def serve(handler: type[BaseHTTPRequestHandler]) -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def start_servers(delay: float) -> tuple[str, str]:
    class Widget(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = WIDGET.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    widget = serve(Widget)

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            time.sleep(delay)  # the site's own time to first byte
            path = self.path.split("?")[0]
            title = "Opening hours" if path.startswith("/hours") else "Home"
            body = PAGE.format(title=title, text="We open at 9 am. " * 200, widget=widget).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except BrokenPipeError:
                pass  # a prefetch the "without" runs abort

        def log_message(self, *args) -> None:
            pass

    return serve(Site), widget


def fake_voice_server(site: str):
    def handler(ws) -> None:
        def on_message(message) -> None:
            kind = json.loads(message).get("type")
            if kind == "session.start":
                ready = {"type": "session.ready", "session_id": "b", "resume_id": "b"}
                ws.send(json.dumps({**ready, "resumed": False, "turns": 0}))
            elif kind == "input.text":
                cite = {"url": site + "/hours", "anchor": "top", "title": "Opening hours"}
                done = {"type": "response.done", "turn": 1, "text": "We open at 9 am."}
                ws.send(json.dumps({**done, "covered": True, "citations": [cite]}))

        ws.on_message(on_message)

    return handler


def one_run(browser, site: str, prefetch: bool) -> tuple[float, str]:
    context = browser.new_context()
    try:
        if not prefetch:  # the same widget, its hint switched off
            context.add_init_script("HTMLScriptElement.supports = () => false;")
            context.route(
                "**/hours*",
                lambda route: (
                    route.abort()
                    if "prefetch" in (route.request.headers.get("sec-purpose") or "")
                    else route.continue_()
                ),
            )
        page = context.new_page()
        page.route_web_socket(re.compile(r".*/voice-ws$"), fake_voice_server(site))
        page.goto(site + "/")
        page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
        page.evaluate("SiteSpeak.ask('When do you open?')")
        link = page.locator("sitespeak-widget .cites a").first
        link.wait_for()
        page.wait_for_timeout(1500)  # the visitor reads the answer; the hint has time to work
        link.click()
        page.wait_for_url(re.compile(r".*/hours.*"))
        page.wait_for_load_state("load")
        entry = page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0];"
            " return [n.loadEventEnd, n.deliveryType]; })()"
        )
        return float(entry[0]), entry[1] or "network"
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--delay-ms", type=float, default=300)
    args = parser.parse_args()
    site, _ = start_servers(args.delay_ms / 1000)
    with chromium() as browser:
        for prefetch in (True, False):
            took, kinds = [], set()
            for _ in range(args.runs):
                ms, kind = one_run(browser, site, prefetch)
                took.append(ms)
                kinds.add(kind)
            print(
                f"{'with prefetch' if prefetch else 'without     '}: citation click -> load "
                f"median {statistics.median(took):.0f} ms, max {max(took):.0f} ms "
                f"({args.runs} runs, site delay {args.delay_ms:.0f} ms, delivered: "
                f"{', '.join(sorted(kinds))})"
            )


if __name__ == "__main__":
    main()
