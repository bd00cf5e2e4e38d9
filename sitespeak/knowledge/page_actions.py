"""What a visitor can do on a page, kept per page for the page-action catalog: links (text and
href), forms (method, action, fields with labels and required flags), buttons and elements that
carry ``data-action``."""

from __future__ import annotations

import re

import lxml.html

MAX_ITEMS = 500  # per kind and page: a mega-menu must not bloat the row


def _text(el: lxml.html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", el.text_content() or "").strip()


def links_of(doc: lxml.html.HtmlElement) -> list[dict]:
    found, seen = [], set()
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href.startswith(("http://", "https://")):
            continue
        text = _text(a) or a.get("aria-label") or a.get("title") or ""
        if (text, href) in seen:
            continue
        seen.add((text, href))
        found.append({"text": text[:200], "href": href})
        if len(found) >= MAX_ITEMS:
            break
    return found


def _label_for(doc: lxml.html.HtmlElement, field: lxml.html.HtmlElement) -> str:
    if field.get("id"):
        for label in doc.iter("label"):
            if label.get("for") == field.get("id"):
                return _text(label)
    for ancestor in field.iterancestors():
        if ancestor.tag == "label":
            return _text(ancestor)
    return field.get("aria-label") or field.get("placeholder") or field.get("title") or ""


def _field(doc: lxml.html.HtmlElement, el: lxml.html.HtmlElement) -> dict | None:
    kind = el.get("type", "text").lower() if el.tag == "input" else el.tag
    if kind in ("hidden", "submit", "button", "image", "reset"):
        return None
    entry = {
        "name": el.get("name") or el.get("id") or "",
        "type": kind,
        "label": _label_for(doc, el)[:200],
        "required": el.get("required") is not None,
    }
    if el.tag == "select":
        entry["options"] = [_text(o) for o in el.iter("option")][:50]
    return entry


def forms_of(doc: lxml.html.HtmlElement) -> list[dict]:
    forms = []
    for form in doc.iter("form"):
        fields = [
            f
            for el in form.iter("input", "select", "textarea")
            if (f := _field(doc, el)) is not None
        ]
        submit = [
            _text(b) or b.get("value", "")
            for b in form.iter("button")
            if b.get("type", "submit") == "submit"
        ]
        submit += [b.get("value", "") for b in form.iter("input") if b.get("type") == "submit"]
        forms.append(
            {
                "id": form.get("id") or form.get("name") or "",
                "method": (form.get("method") or "get").lower(),
                "action": form.get("action") or "",
                "fields": fields,
                "submit": next((s for s in submit if s), ""),
            }
        )
    return forms[:MAX_ITEMS]


def actions_of(doc: lxml.html.HtmlElement) -> list[dict]:
    found = []
    for el in doc.xpath("//*[@data-action] | //button[not(ancestor::form)]"):
        found.append(
            {
                "tag": el.tag,
                "action": el.get("data-action") or "",
                "text": (_text(el) or el.get("aria-label") or "")[:200],
                "id": el.get("id") or "",
                "href": el.get("href") or "",
            }
        )
        if len(found) >= MAX_ITEMS:
            break
    return found
