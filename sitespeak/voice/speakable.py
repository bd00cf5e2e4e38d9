"""Text as it should be heard, not as it is written: "09:00–14:00" → "9 am to 2 pm", "€45" →
"45 euros", "+47 555 01 587" → digits in their groups, an email address spelled "at" and
"dot", page names without the " · Site name" suffix, and no URLs or markup at all.

Only what is spoken is rewritten: the displayed answer keeps the precise form.
"""

from __future__ import annotations

import html
import re

TAG = re.compile(r"<[^>]{1,200}>")
MARKDOWN = re.compile(r"(\*\*|__|`|^#+\s*|^\s*[-*]\s+)", re.MULTILINE)
URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
EMAIL = re.compile(r"\b([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b")
CLOCK = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b(?:\s*(am|pm|h)\b)?", re.IGNORECASE)
COMPACT = re.compile(r"\b(1[0-2]|0?[1-9])(?::([0-5]\d))?\s*(am|pm)\b", re.IGNORECASE)
CURRENCY = {
    "€": "euros",
    "$": "dollars",
    "£": "pounds",
    "eur": "euros",
    "usd": "dollars",
    "gbp": "pounds",
    "chf": "francs",
    "nok": "kroner",
    "sek": "kronor",
    "dkk": "kroner",
}
CODES = r"(?:EUR|USD|GBP|CHF|NOK|SEK|DKK)"
PRICE_BEFORE = re.compile(r"([€$£]|\b" + CODES + r"\s?)(\d[\d,]*)(?:[.,](\d\d))?\b")
PRICE_AFTER = re.compile(r"\b(\d[\d,]*)(?:[.,](\d\d))?\s?(€|\b" + CODES + r"\b)")
PHONE = re.compile(r"(?<![\w.,])(\+?\d{1,4}(?:[ \-/.]\d{2,5}){2,5})(?![\w.,]\d)")
ISO_DATE = re.compile(r"\b(20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
MONTHS = (
    "January February March April May June July August September October November December"
).split()
ABBREVIATIONS = {
    r"\bDr\.(?=\s+[A-Z])": "Doctor",
    r"\be\.g\.": "for example",
    r"\bi\.e\.": "that is",
    r"\bapprox\.": "approximately",
    r"\bincl\.": "including",
    r"\betc\.": "and so on",
    r"\bno\.(?=\s*\d)": "number",
    r"(?<=\d)\s?km\b": " kilometres",
    r"(?<=\d)\s?min\b\.?": " minutes",
    r"(?<=\d)\s?hrs?\b\.?": " hours",
    r"(?<=\d)\s?kg\b": " kilos",
    r"(?<=\d)\s?%": " percent",
    r"\s&\s": " and ",
}
TITLE_SUFFIX = re.compile(r"\s+[·|–—-]\s+.*$")


def page_name(title: str) -> str:
    """A page's own name: "Delivery · Example Shop" → "Delivery"."""
    title = re.sub(r"\s+", " ", title or "").strip()
    return TITLE_SUFFIX.sub("", title) or title


def _hour(hour: int, minute: int, suffix: str | None) -> str:
    suffix = (suffix or "").lower().replace(".", "")
    if suffix in ("am", "pm"):
        hour12, half = hour % 12 or 12, suffix
    else:  # a 24-hour clock
        if hour == 12 and minute == 0:
            return "noon"
        if hour == 0 and minute == 0:
            return "midnight"
        hour12, half = hour % 12 or 12, "am" if hour < 12 else "pm"
    return f"{hour12}:{minute:02d} {half}" if minute else f"{hour12} {half}"


def _times(text: str) -> str:
    text = CLOCK.sub(lambda m: _hour(int(m[1]), int(m[2]), m[3]), text)
    text = COMPACT.sub(lambda m: _hour(int(m[1]), int(m[2] or 0), m[3]), text)
    # "9 am–2 pm" and "9–17" read as ranges
    return re.sub(r"(?<=am|pm|on)\s*[–—-]\s*(?=\d)", " to ", text)


def _amount(whole: str, cents: str | None, unit: str) -> str:
    whole = whole.replace(",", "")
    number = f"{whole} {unit}"
    if whole == "1":
        number = f"1 {unit[:-1] if unit.endswith('s') else unit}"
    return f"{number} {int(cents)}" if cents and int(cents) else number


def _prices(text: str) -> str:
    text = PRICE_BEFORE.sub(lambda m: _amount(m[2], m[3], CURRENCY[m[1].strip().lower()]), text)
    return PRICE_AFTER.sub(lambda m: _amount(m[1], m[2], CURRENCY[m[3].lower()]), text)


def _digits(group: str) -> str:
    return " ".join(group)


def _phone(match: re.Match) -> str:
    number = match[1]
    digits = re.sub(r"\D", "", number)
    if len(digits) < 6:
        return number
    groups = re.split(r"[ \-/.]", number)
    spoken = ", ".join(_digits(g.lstrip("+")) for g in groups if g.strip("+"))
    return ("plus " if number.startswith("+") else "") + spoken


def _date(match: re.Match) -> str:
    return f"{int(match[3])} {MONTHS[int(match[2]) - 1]} {match[1]}"


def speakable(text: str) -> str:
    """``text`` as a voice should say it."""
    text = html.unescape(TAG.sub(" ", text or ""))
    text = MARKDOWN.sub("", text)
    text = URL.sub("", text)
    text = EMAIL.sub(lambda m: f"{m[1]} at {m[2].replace('.', ' dot ')}", text)
    text = ISO_DATE.sub(_date, text)
    text = PHONE.sub(_phone, text)
    text = _times(text)
    text = _prices(text)
    for pattern, said in ABBREVIATIONS.items():
        text = re.sub(pattern, said, text)
    text = re.sub(r"(?<=\d)\s*[–—]\s*(?=\d)", " to ", text)
    text = re.sub(r"[–—]", ", ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()
