"""schema.org JSON-LD turned into plain factual sentences (and FAQ pairs), so the assistant can
answer "when are you open on Sunday" from markup a visitor never sees as prose."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import lxml.html

DAYS = {
    "mo": "Monday",
    "tu": "Tuesday",
    "we": "Wednesday",
    "th": "Thursday",
    "fr": "Friday",
    "sa": "Saturday",
    "su": "Sunday",
}
DAY_ORDER = list(DAYS.values())
BUSINESS_HINTS = (
    "Organization",
    "LocalBusiness",
    "Store",
    "Restaurant",
    "Cafe",
    "Shop",
    "Hotel",
    "Office",
    "Clinic",
    "Library",
    "Museum",
    "Bakery",
    "Dentist",
)


@dataclass(frozen=True)
class Fact:
    heading: str
    text: str


def from_document(doc: lxml.html.HtmlElement) -> tuple[list[Fact], list[tuple[str, str]]]:
    facts: list[Fact] = []
    faqs: list[tuple[str, str]] = []
    for script in doc.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text_content() or "null")
        except ValueError:
            continue  # broken markup on a page is the site's problem, not the crawl's
        for item in _items(data):
            facts += _facts(item)
            faqs += _faqs(item)
    return facts, faqs


def _items(data: Any) -> list[dict]:
    if isinstance(data, list):
        return [i for d in data for i in _items(d)]
    if not isinstance(data, dict):
        return []
    if "@graph" in data:
        return _items(data["@graph"])
    return [data]


def _types(item: dict) -> list[str]:
    kind = item.get("@type", [])
    return [kind] if isinstance(kind, str) else [k for k in kind if isinstance(k, str)]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("text") or value.get("@value") or "")
    if isinstance(value, list):
        return ", ".join(t for t in (_text(v) for v in value) if t)
    return re.sub(r"<[^>]+>", " ", str(value or "")).strip()


def _facts(item: dict) -> list[Fact]:
    types = _types(item)
    name = _text(item.get("name")) or "The business"
    if any(h in t for t in types for h in BUSINESS_HINTS):
        return _business(item, name)
    if "Product" in types:
        return [_product(item, name)]
    if "Event" in types:
        when = _text(item.get("startDate"))
        where = _text(item.get("location"))
        return [Fact(name, f"{name} takes place on {when}" + (f" at {where}." if where else "."))]
    return []


def _business(item: dict, name: str) -> list[Fact]:
    facts = []
    hours = _hours(item)
    if hours:
        facts.append(
            Fact(f"Opening hours of {name}", f"Opening hours of {name}: " + " ".join(hours))
        )
    contact = []
    address = item.get("address")
    if address:
        contact.append(f"{name} is located at {_address(address)}.")
    for key, label in (
        ("telephone", "telephone number"),
        ("email", "email address"),
        ("url", "website"),
    ):
        if item.get(key):
            contact.append(f"The {label} of {name} is {_text(item[key])}.")
    if item.get("priceRange"):
        contact.append(f"The price range of {name} is {_text(item['priceRange'])}.")
    if item.get("description"):
        contact.append(_text(item["description"]))
    if contact:
        facts.append(Fact(f"About {name}", " ".join(contact)))
    return facts


def _address(address: Any) -> str:
    if isinstance(address, str):
        return address
    keys = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")
    return ", ".join(_text(address.get(k)) for k in keys if address.get(k))


def _day_names(value: Any) -> list[str]:
    names = []
    for day in value if isinstance(value, list) else [value]:
        label = str(day or "").rsplit("/", 1)[-1]
        if label:
            names.append(label)
    return names


def _hours(item: dict) -> list[str]:
    lines = []
    for spec in _as_list(item.get("openingHoursSpecification")):
        if not isinstance(spec, dict):
            continue
        days = ", ".join(_day_names(spec.get("dayOfWeek")))
        opens, closes = _text(spec.get("opens")), _text(spec.get("closes"))
        if days and opens and closes:
            if opens == closes == "00:00":
                lines.append(f"closed on {days}.")
            else:
                lines.append(f"open on {days} from {opens} to {closes}.")
    for text in _as_list(item.get("openingHours")):
        lines.append(_opening_hours_text(str(text)))
    return [line[0].upper() + line[1:] for line in lines if line]


def _opening_hours_text(text: str) -> str:
    """schema.org's compact form: "Mo-Fr 09:00-17:00" -> a sentence."""
    match = re.match(r"\s*([A-Za-z,\- ]+?)\s+(\d{1,2}:\d\d)\s*-\s*(\d{1,2}:\d\d)", text)
    if not match:
        return f"open {text}."
    days = []
    for part in match.group(1).split(","):
        ends = [DAYS.get(p.strip()[:2].lower()) for p in part.split("-")]
        if len(ends) == 2 and ends[0] and ends[1]:
            start, stop = DAY_ORDER.index(ends[0]), DAY_ORDER.index(ends[1])
            days += DAY_ORDER[start : stop + 1]
        elif ends and ends[0]:
            days.append(ends[0])
    return f"open on {', '.join(days) or match.group(1)} from {match.group(2)} to {match.group(3)}."


def _product(item: dict, name: str) -> Fact:
    parts = [f"{name} is a product offered here."]
    if item.get("description"):
        parts.append(_text(item["description"]))
    for offer in _as_list(item.get("offers")):
        if isinstance(offer, dict) and offer.get("price") is not None:
            currency = _text(offer.get("priceCurrency"))
            parts.append(f"{name} costs {_text(offer['price'])} {currency}".strip() + ".")
            if offer.get("availability"):
                parts.append(f"Availability: {_text(offer['availability']).rsplit('/', 1)[-1]}.")
    return Fact(name, " ".join(parts))


def _faqs(item: dict) -> list[tuple[str, str]]:
    if "FAQPage" not in _types(item):
        return []
    pairs = []
    for question in _as_list(item.get("mainEntity")):
        if not isinstance(question, dict):
            continue
        answer = question.get("acceptedAnswer") or question.get("suggestedAnswer")
        q, a = _text(question.get("name")), _text(answer)
        if q and a:
            pairs.append((q, a))
    return pairs


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
