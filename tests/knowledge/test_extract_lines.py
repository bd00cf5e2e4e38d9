"""Page text as it is written for the eye, kept apart where a reader would: <br> lines, blocks,
table rows with their column headings or their row label, menus left out, and the charset the
server names."""

from __future__ import annotations

from sitespeak.knowledge.chunking import chunk_page, windows
from sitespeak.knowledge.extract import extract


def _paragraphs(body: str, main: bool = True) -> list[str]:
    body = f"<main>{body}</main>" if main else body
    html = f"<html><head><title>t</title></head><body>{body}</body></html>"
    return [p for s in extract(html, "http://site.test/").sections for p in s.paragraphs]


def test_labelled_lines_split_at_br_become_paragraphs_and_never_glue_words():
    found = _paragraphs("<p>Phone: +47 555 01 587<br>Email: hello@shop.test</p>")
    assert found == ["Phone: +47 555 01 587", "Email: hello@shop.test"]


def test_the_short_lines_of_an_address_stay_one_paragraph_joined_by_commas():
    found = _paragraphs("<p>Fjord Cycles<br>Quayside 14<br>5743 Aldervik</p>")
    assert found == ["Fjord Cycles, Quayside 14, 5743 Aldervik"]


def test_a_table_row_keeps_its_cells_together_named_by_the_column_headings():
    found = _paragraphs(
        "<table><tr><th>Bike</th><th>Per hour</th><th>Per day</th></tr>"
        "<tr><td>E-bike</td><td>€12</td><td>€45</td></tr></table>"
    )
    assert found == ["E-bike: per hour €12, per day €45"]


def test_a_price_table_row_without_headings_keeps_its_label_with_its_price():
    found = _paragraphs(
        "<table><tr><td>Margherita<br><small>tomato, mozzarella</small></td><td>£10.50</td></tr>"
        "<tr><td>Annual service</td><td>from £85</td></tr></table>"
    )
    assert found == ["Margherita, tomato, mozzarella: £10.50", "Annual service: from £85"]


def test_br_lines_inside_a_table_cell_never_glue_words():
    found = _paragraphs(
        "<table><tr><td>Call: <b>555 0101</b><br>Out of hours: <b>555 0199</b></td></tr></table>"
    )
    assert found == ["Call: 555 0101, Out of hours: 555 0199"]


def test_a_layout_table_is_read_as_the_headings_and_paragraphs_in_its_cells():
    html = (
        "<html><head><title>t</title></head><body><main><table><tr>"
        "<td><h3>Repairs</h3><p>We fix all makes.</p></td>"
        "<td><h3>Installs</h3><p>New boilers fitted.</p></td></tr></table></main></body></html>"
    )
    sections = extract(html, "http://site.test/").sections
    assert [(s.path, s.paragraphs) for s in sections] == [
        (["Repairs"], ["We fix all makes."]),
        (["Installs"], ["New boilers fitted."]),
    ]


def test_text_around_a_nested_block_or_inside_a_span_is_kept_as_lines_of_its_own():
    found = _paragraphs(
        "<div>Call us <span>today</span><div>We reply within a day.</div>or write</div>"
    )
    assert found == ["Call us today", "We reply within a day.", "or write"]


def test_a_sentence_wrapped_over_br_lines_stays_one_line():
    found = _paragraphs(
        "<p>Kids menu for under 12s: £7.95<br>Choose a pizza or a pasta,<br>a drink</p>"
    )
    assert found == ["Kids menu for under 12s: £7.95", "Choose a pizza or a pasta, a drink"]


def test_a_menu_div_of_links_on_a_page_without_main_never_reaches_passages():
    found = _paragraphs(
        '<div class="menu"><a href="/">HOME</a> · <a href="/prices">PRICES</a> · '
        '<a href="/about">ABOUT US</a> · <a href="/contact">CONTACT</a></div>'
        '<div id="content"><h1>Prices</h1><p>See our <a href="/prices">prices</a> and '
        "<a href='/faq'>answers</a>, or <a href='/contact'>ask us</a> anything.</p></div>",
        main=False,
    )
    assert found == ["See our prices and answers, or ask us anything."]


def test_a_price_card_reads_as_one_line_labelled_by_its_heading():
    found = _paragraphs(
        "<h2>Passes</h2><div class='card'><h3>10 class pass</h3><p class='price'>£105</p>"
        "<p>use within 4 months</p></div><div class='card'><h3>Do I need a mat?</h3>"
        "<p>No</p></div>"
    )
    assert found == ["10 class pass: £105, use within 4 months", "No"]


def test_an_faq_entry_in_details_is_cited_at_its_id_with_its_br_lines_apart():
    html = (
        "<html><head><title>FAQ</title></head><body><main><h1>FAQ</h1>"
        "<details id='parking'><summary><h3>Where can I park?</h3></summary>"
        "<p>In the square.<br>Free after 6pm</p></details></main></body></html>"
    )
    drafts = chunk_page(extract(html, "http://site.test/faq"))
    assert [(d.kind, d.anchor, d.text) for d in drafts] == [
        ("text", "parking", "In the square.\nFree after 6pm"),
        ("faq", "parking", "Where can I park? In the square. Free after 6pm"),
    ]


def test_the_charset_the_server_names_decodes_a_page_without_a_meta_charset():
    html = "<html><body><main><p>A check-up costs €65 in Bahnhofstraße.</p></main></body></html>"
    content = extract(html.encode(), "http://site.test/", "utf-8")
    assert content.sections[0].paragraphs == ["A check-up costs €65 in Bahnhofstraße."]


def test_a_chunk_keeps_a_line_break_after_a_paragraph_with_no_full_stop():
    text = windows(["Saturday: 09:00–16:00", "Sunday: 10:00–14:00", "Closed in winter. Sorry."])[0]
    assert text.split("\n") == [
        "Saturday: 09:00–16:00",
        "Sunday: 10:00–14:00",
        "Closed in winter. Sorry.",
    ]
