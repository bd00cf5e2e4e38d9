"""Turning a visitor's request into catalog actions: the rules, on real catalog rows."""

from __future__ import annotations

from sitespeak.actions.catalog import click_entries, form_entries, page_url
from sitespeak.actions.intents import field_values, match
from sitespeak.actions.models import SiteAction

FIELDS = [
    {"name": "name", "label": "Your name", "type": "text"},
    {"name": "email", "label": "Email", "type": "email"},
    {"name": "cake", "label": "Cake", "type": "select"},
]
FORM = {"id": "order-form", "method": "post", "fields": FIELDS, "submit": "Send order"}


def rows() -> list[SiteAction]:
    entries = form_entries("https://shop.example/contact/", 0, FORM) + click_entries(
        "https://shop.example/",
        [
            {"id": "newsletter", "action": "", "text": "Sign up now"},
            {"id": "", "action": "show-map", "text": "Show the map"},
            {"id": "", "action": "", "text": "no way to find me"},
        ],
    )
    return [
        SiteAction(
            id=n,
            kind=e.kind,
            url=e.url,
            target=e.target,
            label=e.label,
            fields=e.fields,
            risky=e.risky,
        )
        for n, e in enumerate(entries, 1)
    ]


def test_spoken_field_values_are_split_by_field_names_and_emails():
    assert field_values(FIELDS, "name Ana and email ana@example.com") == {
        "name": "Ana",
        "email": "ana@example.com",
    }
    assert field_values(FIELDS, "my name is Ana Lopez, cake chocolate, ana@example.com") == {
        "name": "Ana Lopez",
        "cake": "chocolate",
        "email": "ana@example.com",
    }
    assert field_values(FIELDS, "") == {}


def test_forms_give_a_safe_fill_and_a_risky_submit_and_buttons_need_an_address():
    found = rows()
    assert [(r.kind, r.target) for r in found] == [
        ("fill", "#order-form"),
        ("submit", "#order-form"),
        ("click", "#newsletter"),
        ("click", '[data-action="show-map"]'),
    ]
    fill, submit, signup, show_map = found
    assert fill.needs_confirmation and not fill.risky
    assert submit.risky and submit.needs_confirmation
    assert signup.risky and not show_map.risky and not show_map.needs_confirmation
    assert (
        fill.url == page_url("https://shop.example/contact#top") == "https://shop.example/contact"
    )


def test_requests_match_only_catalog_entries_of_their_kind():
    catalog = rows()
    row, values = match("Please fill in the order form with name Ana", catalog)
    assert (row.kind, values) == ("fill", {"name": "Ana"})
    assert match("send the order form", catalog)[0].kind == "submit"
    assert match("click on the show map button", catalog)[0].target == '[data-action="show-map"]'
    assert match("press the delete account button", catalog) is None
    assert match("fill in the tax form", catalog) is None
    assert match("how do I fill in the order form?", catalog) is None
