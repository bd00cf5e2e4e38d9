"""Page text as it is written for the eye, kept apart where a reader would: <br> lines, table
rows with their column headings, and the charset the server names."""

from __future__ import annotations

from sitespeak.knowledge.chunking import windows
from sitespeak.knowledge.extract import extract


def _paragraphs(body: str) -> list[str]:
    html = f"<html><head><title>t</title></head><body><main>{body}</main></body></html>"
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
