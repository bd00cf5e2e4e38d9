"""Readable at any page zoom (issue 16, item 15): on a phone page without a viewport meta tag
the browser lays the page out 980 px wide and shows it zoomed out; the widget's text must still
be at least 12 px on the glass (computed font size × CSS zoom × the visual viewport's scale)."""

from __future__ import annotations

from tests.support.browser import ARTIFACTS
from tests.widget.test_widget_in_browser import W, open_widget

# Every text the visitor reads or types, with its effective size on the screen.
EFFECTIVE_SIZES = """() => {
  const root = document.querySelector('sitespeak-widget').shadowRoot;
  const scale = visualViewport.scale;
  return [...root.querySelectorAll('h2, .stt, .m, input, .cites a')].map(el => ({
    what: el.className || el.tagName,
    px: parseFloat(getComputedStyle(el).fontSize) * el.currentCSSZoom * scale,
  }));
}"""


def test_on_a_phone_page_without_a_viewport_tag_the_text_is_readable(
    browser, widget_web, widget_site
):
    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    try:
        phone = context.new_page()
        open_widget(phone, widget_site.url + "/hours?no-viewport")
        assert phone.evaluate("visualViewport.scale") < 0.5  # the page is shown zoomed out
        phone.fill(f"{W} #q", "When do you open on Sunday?")
        phone.keyboard.press("Enter")
        phone.wait_for_function("SiteSpeak.stats().turns >= 1", timeout=60000)
        sizes = phone.evaluate(EFFECTIVE_SIZES)
        assert sizes and all(s["px"] >= 12 for s in sizes), sizes
        # ...and the panel still fills the bottom of the screen, not more.
        box = phone.locator(f"{W} .panel").evaluate(
            "el => { const r = el.getBoundingClientRect();"  # zoom included
            " return {x: r.left, w: r.width, bottom: r.bottom, vw: innerWidth, vh: innerHeight}; }"
        )
        assert abs(box["x"]) < 1 and abs(box["w"] - box["vw"]) < 2, box
        assert box["bottom"] <= box["vh"] + 1, box
        send = phone.locator(f"{W} .send").bounding_box()
        assert send["width"] * phone.evaluate("visualViewport.scale") >= 40  # finger-sized
        phone.screenshot(path=str(ARTIFACTS / "widget-phone-no-viewport.png"))
    finally:
        context.close()
