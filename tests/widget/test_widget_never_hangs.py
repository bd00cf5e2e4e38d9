"""The widget never lies about its state and never waits forever (issue 16, item 12).

The hung server is a WebSocket routed by the browser itself (Playwright's route_web_socket):
it accepts the connection and then stays silent, which no real server can be made to do on
demand; the clock is the page's own, fast-forwarded."""

from __future__ import annotations

import json
import re

from tests.support.browser import ARTIFACTS
from tests.widget.test_widget_in_browser import W

VOICE_WS = re.compile(r".*/voice-ws$")
READY = {
    "type": "session.ready",
    "session_id": "s1",
    "resume_id": "r1",
    "resumed": False,
    "turns": 0,
}


def load(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")


def state(page) -> str:
    return page.evaluate("SiteSpeak.stats().state")


def test_after_a_fatal_error_input_and_mic_are_disabled_and_the_reason_stays(page, widget_site):
    load(page, widget_site.foreign + "/")
    page.click(f"{W} .launch")
    alert = page.locator(f"{W} .err[role=alert]")
    alert.wait_for(state="visible", timeout=60_000)
    reason = alert.inner_text()
    assert "not enabled on this website" in reason
    assert page.is_disabled(f"{W} #q") and page.is_disabled(f"{W} .mic")
    assert page.is_disabled(f"{W} .send")
    page.evaluate("SiteSpeak.ask('When do you open on Sunday?')")  # the page's API still works
    page.wait_for_timeout(500)
    assert alert.is_visible() and alert.inner_text() == reason
    assert state(page) == "error"  # not "thinking", waiting for an answer that cannot come
    page.screenshot(path=str(ARTIFACTS / "widget-fatal.png"))


def test_a_session_that_never_becomes_ready_ends_with_a_message(page, widget_site):
    page.clock.install()
    page.route_web_socket(VOICE_WS, lambda ws: None)  # accepted, then silence
    load(page, widget_site.url + "/about")
    page.evaluate("SiteSpeak.ask('Who founded the bakery?')")
    page.clock.run_for(16000)
    alert = page.locator(f"{W} .err[role=alert]")
    assert alert.is_visible(), state(page)
    assert "not answering" in alert.inner_text()
    assert state(page) == "error"
    assert page.is_enabled(f"{W} #q")  # not fatal: the visitor may try again


def test_an_answer_that_never_comes_ends_with_a_message(page, widget_site):
    def hung(ws) -> None:
        def on_message(message) -> None:
            if json.loads(message).get("type") == "session.start":
                ws.send(json.dumps(READY))  # ready, and then nothing for the question

        ws.on_message(on_message)

    page.clock.install()
    page.route_web_socket(VOICE_WS, hung)
    load(page, widget_site.url + "/about")
    page.click(f"{W} .launch")
    page.wait_for_function("SiteSpeak.stats().state === 'idle'")
    page.fill(f"{W} #q", "Who founded the bakery?")
    page.keyboard.press("Enter")
    assert state(page) == "thinking"
    page.clock.run_for(20000)
    assert state(page) == "thinking"  # a slow answer is still allowed
    page.clock.run_for(11000)
    alert = page.locator(f"{W} .err[role=alert]")
    assert alert.is_visible(), state(page)
    assert "No answer came in time" in alert.inner_text()
    assert state(page) == "idle"
    assert page.is_enabled(f"{W} #q")
