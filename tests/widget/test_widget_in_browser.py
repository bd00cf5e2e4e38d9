"""The widget in Debian's Chromium on a loopback site, against a real web process."""

from __future__ import annotations

import re

from tests.support.browser import ARTIFACTS

W = "sitespeak-widget"  # Playwright's CSS engine pierces the open shadow root


def open_widget(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
    page.click(f"{W} .launch")
    page.wait_for_function("SiteSpeak.stats().state !== 'connecting'", timeout=60_000)


def ask(page, text: str) -> None:
    page.fill(f"{W} #q", text)
    page.keyboard.press("Enter")


def bot_messages(page) -> list[str]:
    return page.locator(f"{W} .m.bot").all_inner_texts()


def wait_turns(page, n: int, timeout: float = 60000) -> None:
    page.wait_for_function(
        f"SiteSpeak.stats().turns >= {n} && "
        "!document.querySelector('sitespeak-widget').shadowRoot"
        ".querySelector('.m.bot:last-child')?.textContent.includes('…')",
        timeout=timeout,
    )


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


def test_a_spoken_question_shows_its_transcript_and_plays_the_answer(page, widget_site):
    open_widget(page, widget_site.url + "/")
    page.click(f"{W} .mic")
    page.wait_for_selector(f"{W} .mic[aria-pressed=true], {W} .err:not([hidden])")
    assert page.get_attribute(f"{W} .mic", "aria-pressed") == "true", page.locator(
        f"{W} .err"
    ).inner_text()
    wait_turns(page, 1, timeout=90000)
    mine = page.locator(f"{W} .m.me").all_inner_texts()
    assert any("sunday" in m.lower() for m in mine), mine
    assert "9 am" in bot_messages(page)[-1]
    page.wait_for_function("SiteSpeak.stats().played > 0.5", timeout=30000)
    stats = page.evaluate("SiteSpeak.stats()")
    assert stats["captured"] > 50 and stats["chunks"] > 0, stats
    assert stats["scheduled"] >= stats["played"] > 0.5


def test_take_me_to_the_contact_page_changes_the_page_and_the_conversation_goes_on(
    page, widget_site
):
    open_widget(page, widget_site.url + "/")
    ask(page, "Take me to the contact page")
    page.wait_for_url(re.compile(r".*/contact.*"), timeout=60000)
    page.wait_for_function("window.SiteSpeak && SiteSpeak.stats().resumed === true", timeout=60_000)
    assert page.is_visible(f"{W} .panel")
    assert any(
        "Take me to the contact page" in m for m in page.locator(f"{W} .m.me").all_inner_texts()
    )
    turns_before = page.evaluate("SiteSpeak.stats().turns")
    assert turns_before >= 1
    ask(page, "What is your phone number?")
    wait_turns(page, turns_before + 1)
    assert "555 0100" in bot_messages(page)[-1]


def field(page, name: str) -> str:
    return page.eval_on_selector(f"#order-form [name={name}]", "el => el.value")


def test_a_form_is_filled_only_after_the_visitor_confirms_and_never_sent(page, widget_site):
    open_widget(page, widget_site.url + "/contact")
    ask(page, "Fill in the order form with name Ana Lopez and email ana@example.com")
    page.wait_for_selector(f"{W} .ok:not([hidden])", timeout=60000)
    lines = page.locator(f"{W} .ok li").all_inner_texts()
    assert any("Ana Lopez" in line for line in lines), lines
    page.wait_for_timeout(1000)
    assert field(page, "name") == "" and field(page, "email") == ""  # still waiting
    page.click(f"{W} .ok .pri")
    assert field(page, "name") == "Ana Lopez"
    assert field(page, "email") == "ana@example.com"
    page.wait_for_timeout(500)
    assert widget_site.orders == []  # filled, not submitted
    results = page.evaluate("SiteSpeak.stats().actions")
    assert results[-1]["kind"] == "fill" and results[-1]["ok"] is True


def test_declining_a_fill_leaves_the_form_untouched(page, widget_site):
    open_widget(page, widget_site.url + "/contact")
    ask(page, "Fill in the order form with name Bob")
    page.wait_for_selector(f"{W} .ok:not([hidden])", timeout=60000)
    page.keyboard.press("Escape")
    assert page.is_hidden(f"{W} .ok")
    assert field(page, "name") == ""
    assert page.evaluate("SiteSpeak.stats().actions")[-1]["ok"] is False


STYLE = "(el, p) => getComputedStyle(el).getPropertyValue(p)"


def test_the_host_pages_css_and_the_widgets_css_stay_apart(page, widget_site):
    page.goto(widget_site.url + "/")
    page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
    host_before = {p: page.eval_on_selector("h2", STYLE, p) for p in ("color", "font-size")}
    button_before = page.eval_on_selector("#newsletter", STYLE, "background-color")
    page.click(f"{W} .launch")
    launcher = page.locator(f"{W} .launch")
    assert launcher.evaluate(STYLE, "background-color") == "rgb(36, 87, 214)"
    assert launcher.evaluate(STYLE, "width") == "56px"
    assert "courier" not in page.locator(f"{W} .panel").evaluate(STYLE, "font-family").lower()
    assert page.locator(f"{W} #q").evaluate(STYLE, "font-size") == "16px"
    assert page.locator(f"{W} .panel").evaluate(STYLE, "border-top-style") == "solid"
    # ...and nothing of ours reaches the page.
    assert {p: page.eval_on_selector("h2", STYLE, p) for p in ("color", "font-size")} == host_before
    assert page.eval_on_selector("#newsletter", STYLE, "background-color") == button_before
    assert page.evaluate("document.styleSheets.length") == 1


def test_a_page_on_an_origin_the_site_does_not_allow_gets_a_clear_error(page, widget_site):
    page.goto(widget_site.foreign + "/")
    page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
    page.click(f"{W} .launch")
    alert = page.locator(f"{W} .err[role=alert]")
    alert.wait_for(state="visible", timeout=60_000)
    assert "not enabled on this website" in alert.inner_text()
    assert widget_site.foreign in alert.inner_text()
    assert page.evaluate("SiteSpeak.stats().state") == "error"


def test_the_widget_is_operable_from_the_keyboard(page, widget_site):
    page.goto(widget_site.url + "/about")
    page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
    page.focus(f"{W} .launch")
    page.keyboard.press("Enter")
    assert page.get_attribute(f"{W} .launch", "aria-expanded") == "true"
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.id") == "q"
    page.keyboard.press("Escape")
    assert page.is_hidden(f"{W} .panel")
    assert page.get_attribute(f"{W} .launch", "aria-label") == "Open the site assistant"


def test_speaking_over_the_answer_stops_playback_and_cancels_it(page, widget_site):
    open_widget(page, widget_site.url + "/")
    page.evaluate("""() => { window.answers = []; window.seen = [];
        SiteSpeak.on('answer', m => answers.push(m));
        SiteSpeak.on('message', m => seen.push(m.type)); }""")
    ask(page, "What does the bakery bake every morning?")
    page.wait_for_function("SiteSpeak.stats().chunks > 5", timeout=60000)
    page.click(f"{W} .mic")  # the fake microphone starts speaking ~0.8 s later
    page.wait_for_function("SiteSpeak.stats().bargeIns >= 1", timeout=60_000)
    page.wait_for_function("answers.length >= 1", timeout=60000)
    first = page.evaluate("answers[0]")
    assert first["interrupted"] is True, page.evaluate("seen")
    stats = page.evaluate("SiteSpeak.stats()")
    assert stats["played"] < stats["scheduled"]  # what was queued stopped short
    page.wait_for_function("answers.length >= 2", timeout=90000)
    assert "9 am" in page.evaluate("answers[1].text")


def test_a_form_on_another_page_is_filled_there_after_navigating_and_confirming(page, widget_site):
    open_widget(page, widget_site.url + "/")
    ask(page, "Fill in the order form with name Chen")
    page.wait_for_url(re.compile(r".*/contact.*"), timeout=60000)
    page.wait_for_selector(f"{W} .ok:not([hidden])", timeout=30000)
    assert field(page, "name") == ""
    page.click(f"{W} .ok .pri")
    assert field(page, "name") == "Chen"
    assert widget_site.orders == []


def test_on_a_phone_the_panel_fills_the_bottom_of_the_screen(browser, widget_web, widget_site):
    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    try:
        phone = context.new_page()
        open_widget(phone, widget_site.url + "/hours")
        phone.tap(f"{W} #q")
        box = phone.locator(f"{W} .panel").bounding_box()
        assert box["x"] == 0 and abs(box["width"] - 375) < 1
        assert box["y"] + box["height"] <= 740 + 1
        send = phone.locator(f"{W} .send").bounding_box()
        assert send["width"] >= 40 and send["height"] >= 40  # a finger-sized target
        phone.screenshot(path=str(ARTIFACTS / "widget-phone.png"))
    finally:
        context.close()


def test_the_page_can_drive_the_widget_through_its_javascript_api(page, widget_site):
    page.goto(widget_site.url + "/about")
    page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
    page.evaluate("""() => { window.log = [];
        for (const e of ['open', 'close', 'state', 'answer'])
            SiteSpeak.on(e, d => log.push(e === 'state' ? 'state:' + d : e)); }""")
    page.evaluate("SiteSpeak.ask('Who founded the bakery?')")
    assert page.is_visible(f"{W} .panel")  # ask() opens the panel
    page.wait_for_function("log.includes('answer')", timeout=60000)
    assert "Maria and Tom" in bot_messages(page)[-1]
    page.evaluate("SiteSpeak.close()")
    assert page.is_hidden(f"{W} .panel")
    log = page.evaluate("log")
    assert log[0] == "open" and "state:thinking" in log and log[-1] == "close"


def _record_turn_events(page) -> None:
    page.evaluate("""() => { window.order = [];
        SiteSpeak.on('ack', () => order.push('ack'));
        SiteSpeak.on('message', m => {
            if (m.type === 'session.ready') order.push('ready:' + m.ack_sound);
            if (m.type === 'response.started' || m.type === 'response.done') order.push(m.type);
        }); }""")


def test_a_soft_sound_says_the_question_was_heard_as_soon_as_the_answer_starts(page, widget_site):
    page.goto(widget_site.url + "/")
    page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
    _record_turn_events(page)
    page.click(f"{W} .launch")
    ask(page, "When do you open on Sunday?")
    wait_turns(page, 1)
    assert page.evaluate("order") == ["ready:true", "response.started", "ack", "response.done"]
    assert page.evaluate("SiteSpeak.stats().acks") == 1
    assert page.errors == []


def test_no_sound_plays_when_the_sites_owner_turned_it_off(page, widget_site, settings):
    from tests.support.site_voice import change_voice, restore_voice

    before = change_voice(settings, widget_site.id, ack_sound=False)
    try:
        page.goto(widget_site.url + "/")
        page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
        _record_turn_events(page)
        page.click(f"{W} .launch")
        ask(page, "When do you open on Sunday?")
        wait_turns(page, 1)
        assert page.evaluate("order") == ["ready:false", "response.started", "response.done"]
        assert page.evaluate("SiteSpeak.stats().acks") == 0
    finally:
        restore_voice(settings, widget_site.id, before)


def test_a_page_can_turn_the_sound_off_with_data_ack(page, widget_site, embed):
    embed.extra = 'data-ack="off"'
    try:
        page.goto(widget_site.url + "/")
        page.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
        _record_turn_events(page)
        page.click(f"{W} .launch")
        ask(page, "When do you open on Sunday?")
        wait_turns(page, 1)
        assert page.evaluate("order") == ["ready:true", "response.started", "response.done"]
        assert page.evaluate("SiteSpeak.stats().acks") == 0
    finally:
        embed.extra = ""


def test_the_widget_opens_with_the_sites_own_greeting(page, widget_site):
    open_widget(page, widget_site.url + "/")
    page.wait_for_function(
        "document.querySelector('sitespeak-widget').shadowRoot"
        ".querySelector('.m.bot').textContent.includes('Widget Bakery')",
        timeout=60_000,
    )
    assert bot_messages(page)[0] == "Hi! Ask me anything about Widget Bakery."


def test_the_first_microphone_start_speaks_the_greeting_once_per_conversation(
    page, widget_site, widget_web
):
    open_widget(page, widget_site.url + "/")
    page.evaluate("""() => { window.greetings = 0; window.firstStarted = null;
        SiteSpeak.on('greeting', () => greetings++);
        SiteSpeak.on('message', m => { if (m.type === 'response.started' && firstStarted === null)
            firstStarted = SiteSpeak.stats().chunks; }); }""")
    page.click(f"{W} .mic")
    wait_turns(page, 1, timeout=90000)
    # The greeting's audio arrived before the visitor's question (which the fake microphone
    # speaks ~0.8 s after it starts) was answered.
    assert page.evaluate("greetings") == 1
    if page.evaluate("firstStarted") == 0:
        # A busy box skips the greeting, or the visitor talked before its first phrase was ready;
        # either way the server says so.
        said = re.findall(r"greeting (?:not spoken|stopped)[^\n]*", widget_web.output())
        busy, cut_short = (
            "greeting not spoken: the box is busy",
            "greeting stopped by the visitor after 0 ",
        )
        reasons = (busy, cut_short)
        assert any(line.startswith(reasons) for line in said), said
    else:
        assert page.evaluate("firstStarted") > 0, page.evaluate("SiteSpeak.stats()")
    page.click(f"{W} .mic")  # off, then on again: the conversation has a question now
    page.click(f"{W} .mic")
    page.wait_for_timeout(500)
    assert page.evaluate("greetings") == 1
    assert page.errors == []


def test_a_typed_conversation_stays_silent_when_the_microphone_comes_on_later(page, widget_site):
    open_widget(page, widget_site.url + "/")
    page.evaluate("() => { window.greetings = 0; SiteSpeak.on('greeting', () => greetings++); }")
    ask(page, "When do you open on Sunday?")
    wait_turns(page, 1)
    page.click(f"{W} .mic")
    page.wait_for_selector(f"{W} .mic[aria-pressed=true]")
    page.wait_for_timeout(500)
    assert page.evaluate("greetings") == 0
