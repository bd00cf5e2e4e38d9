"""What a visitor's question asks for, in words both retrieval and the answerer use: its content
words (stemmed the same way on both sides), the words its facts are written with, and its kind
(when, how much, where, phone, email, who, how long, yes/no).

Navigational and entity words ("about", "team", "prices") are content words: only function
words are dropped, so "take me to the about page" still names the about page.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:'[a-z]+)?")
STOP = frozenset(
    """a an the and or but of to in on at for from by with is are was were be been being do
does did done have has had i i'm me my we our you your he she it its they them their this that
these those what which who whom why how can could would should will shall may might
must there here please tell know want like just get give any some much many so if than then
also very really not no yes hi hello hey okay ok us am let need near nearby um umm uh uhh er erm
hmm""".split()
)
# Email addresses and URLs say where, not what: "info@clinic.test" is no answer to "tests".
ADDRESSES = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\bhttps?://\S+|\bwww\.\S+")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Question words that name a kind of fact rather than appear in the page, and everyday words
# for what pages say more formally. General vocabulary, not any one site's.
SYNONYMS = {
    "time": {"hour", "open", "close", "clock"},
    "when": {"hour", "open"},
    "open": {"hour", "opening"},
    "close": {"hour", "closing"},
    "hour": {"open"},
    "phone": {"call", "telephone"},
    "call": {"phone", "telephone"},
    "number": {"phone", "telephone"},
    "email": {"mail"},
    "contact": {"email", "phone", "reach"},
    "price": {"cost", "fee", "eur", "usd"},
    "cost": {"price", "fee"},
    "charge": {"fee", "cost", "price"},
    "pay": {"cost", "price", "fee"},
    "expensive": {"cost", "price"},
    "where": {"address", "located", "street", "find"},
    "address": {"street", "located"},
    "located": {"address", "street"},
    "kid": {"child", "children"},
    "child": {"kid", "children"},
    "children": {"child", "kid"},
    "scared": {"anxious", "nervous"},
    "afraid": {"anxious", "nervous"},
    "nervous": {"anxious"},
    "late": {"after", "closing"},
    "head": {"principal", "lead", "chief"},
    "boss": {"owner", "principal", "run"},
    "owner": {"founded", "started", "run"},
    "start": {"founded"},
    "found": {"started"},
    "book": {"booking", "reserve", "appointment"},
    "reserve": {"book", "booking"},
    "cancel": {"cancellation"},
    "discount": {"off", "reduction"},
    "park": {"parking"},
    "disabled": {"wheelchair", "accessible"},
    "accessible": {"wheelchair", "step"},
    "long": {"minute", "hour", "take"},
}
# Words that set the frame of a question rather than its topic: a follow-up keeps the frame
# and changes the topic ("how much is a check-up?" → "and whitening?"). The business itself
# ("your shop", "the clinic") is frame too: every page of the site is about it.
FRAME = frozenset(
    """hour time open close opening closing much cost price fee charge pay long take where
address located location find phone call telephone number email mail who day week night
minute per shop store clinic practice surgery office business place company premises site
website hotel inn hostel bakery cafe salon studio school museum library gallery centre center
option thing service way kind type stuff something anything info information detail""".split()
) | frozenset(DAYS)


def stem(word: str) -> str:
    """Crude, but the same on both sides: opening -> open, hours -> hour, included -> includ."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us")) and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    # "include" and "included" must meet: a final e goes too
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def words_of(text: str) -> list[str]:
    """Content words in order, stemmed ("what's" -> "what" is then a stop word). A hyphenated
    word counts whole and by its parts: "e-bike" is an e-bike and a bike."""
    out = []
    for token in WORD.findall(ADDRESSES.sub(" ", text.lower())):
        token = token.split("'")[0]
        # "wi-fi" is also "wifi", "e-mail" also "email"
        parts = [token, *token.split("-"), token.replace("-", "")] if "-" in token else [token]
        out += [stem(w) for w in parts if w not in STOP and len(w) > 1]
    return out


def content_words(text: str) -> set[str]:
    return set(words_of(text))


_STEMMED_SYNONYMS = {stem(k): {stem(v) for v in vs} for k, vs in SYNONYMS.items()}
_FRAME = {stem(w) for w in FRAME}


def expand(words: set[str]) -> set[str]:
    out = set(words)
    for w in words:
        out |= _STEMMED_SYNONYMS.get(w, set())
    return out


def topic_words(text: str) -> list[str]:
    """The content words that say what the question is about, not what kind of fact it wants."""
    return [w for w in words_of(text) if w not in _FRAME]


def search_query(question: str) -> str:
    """The question plus the words its facts are written with ("address" -> "street")."""
    asked = content_words(question)
    extra = sorted(expand(asked) - asked)
    return " ".join([question, *extra])


YES_NO = re.compile(
    r"^(?:and\s+)?(?:do|does|did|can|could|is|are|was|will|would|may|have|has|should)\b",
    re.IGNORECASE,
)
HOW_LONG = re.compile(r"\bhow long\b|\bduration\b", re.IGNORECASE)
WHO = re.compile(r"^(?:and\s+)?who(?:'s|\s)|\bwhose\b", re.IGNORECASE)
WHERE = re.compile(
    r"\bwhere\b|\baddress\b|\blocated\b|\bdirections\b|\bget (?:to|there)\b|"
    r"\bfind (?:you|your|the)\b|\bway to\b",
    re.I,
)
WHEN = re.compile(r"\bwhen\b|\bwhat time\b|\bhours\b|\bopen(?:ing)?\b|\bclos(?:e|ing)\b", re.I)
PRICE = re.compile(r"\bhow much\b|\bcost|\bprice|\bfees?\b|\bcharge|\bpay\b|\bexpensive\b", re.I)
PHONE = re.compile(r"\bphone\b|\bcall\b|\btelephone\b|\bnumber\b|\bring\b", re.I)
EMAIL = re.compile(r"\be-?mail\b", re.I)


def kind_of(question: str) -> str:
    """The kind of fact asked for: yesno (a question that starts "is", "do", "can" ... wants a
    yes or no first), else detail_of."""
    return "yesno" if YES_NO.match(question.strip()) else detail_of(question)


def detail_of(question: str) -> str:
    """The kind of fact a question names: when, price, where, phone, email, who, duration, yesno
    or other (the order matters: "how much does it cost on Sunday" asks a price)."""
    q = question.strip()
    if EMAIL.search(q):
        return "email"
    if PHONE.search(q) and not PRICE.search(q):
        return "phone"
    if HOW_LONG.search(q):
        return "duration"
    if PRICE.search(q):
        return "price"
    if WHEN.search(q) and not WHERE.search(q):
        return "when"
    if WHERE.search(q):
        return "where"
    if WHO.search(q):
        return "who"
    if YES_NO.match(q):
        return "yesno"
    return "other"


def days_in(text: str) -> set[str]:
    low = text.lower()
    return {d for d in DAYS if re.search(rf"\b{d[:3]}(?:{d[3:]})?s?\b", low)}
