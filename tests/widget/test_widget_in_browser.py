"""The widget in Debian's Chromium on a loopback site, against a real web process."""

from __future__ import annotations

import re

from tests.widget.conftest import ARTIFACTS

W = "sitespeak-widget"  # Playwright's CSS engine pierces the open shadow root


def open_widget(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
    page.click(f"{W} .launch")
    page.wait_for_function("SiteSpeak.stats().state !== 'connecting'", timeout=20000)


def ask(page, text: str) -> None:
    page.fill(f"{W} #q", text)
    page.keyboard.press("Enter")


def bot_messages(page) -> list[str]:
    return page.locator(f"{W} .m.bot").all_inner_texts()


def wait_turns(page, n: int, timeout: float = 60000) -> None:
    page.wait_for_function(f"SiteSpeak.stats().turns >= {n} && "
                           "!document.querySelector('sitespeak-widget').shadowRoot"
                           ".querySelector('.m.bot:last-child')?.textContent.includes('…')",
                           timeout=timeout)


def test_a_typed_question_gets_an_answer_with_a_working_citation_link(page, widget_site):
    open_widget(page, widget_site.url + "/")
    ask(page, "When do you open on Sunday?")
    wait_turns(page, 1)
    answer = bot_messages(page)[-1]
    assert "9 am" in answer, answer
    link = page.locator(f"{W} .m.bot").last.locator(".cites a").first
    href = link.get_attribute("href")
    assert href.startswith(widget_site.url + "/hours"), href
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "widget-open.png"))
    link.click()
    page.wait_for_url(re.compile(r".*/hours.*"))
    assert "Opening hours" in page.title()
    assert page.errors == []
