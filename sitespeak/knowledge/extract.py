"""From one HTML page to what the knowledge base keeps: title, language, canonical URL, main
content as sections under their headings (with anchors), JSON-LD facts and FAQ entries, and the
page's links, forms and actions (for the page-action catalog).

Boilerplate (navigation, header, footer, asides, scripts) is dropped structurally, and on a
page without <main> or <article> so are blocks made of short links (a menu in a <div>); when that
leaves nothing, trafilatura's main-content extraction is the fallback.
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urldefrag, urljoin

import lxml.html
from lxml import etree

from sitespeak.knowledge import jsonld
from sitespeak.knowledge.page_actions import actions_of, forms_of, links_of

log = logging.getLogger(__name__)
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
CONTAINERS = {"div", "section", "article", "main", "span", "details"}
BOILERPLATE = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "aside",
    "form",
    "iframe",
    "button",
    "select",
    "textarea",
)
PAGE_FRAME = ("header", "footer")  # boilerplate unless inside the main content
BOILER_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary"}


class UnparseableHtml(ValueError):
    pass


@dataclass
class Section:
    path: list[str]  # heading path, outermost first
    anchor: str | None
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class PageContent:
    title: str
    lang: str | None
    canonical: str | None
    sections: list[Section]
    facts: list[jsonld.Fact]
    faqs: list[tuple[str, str]]
    headings: list[dict]
    links: list[dict]
    forms: list[dict]
    actions: list[dict]

    def normalised_text(self) -> str:
        parts = [self.title]
        for s in self.sections:
            parts += [" > ".join(s.path), s.anchor or "", *s.paragraphs]
        parts += [f"{f.heading}: {f.text}" for f in self.facts]
        parts += [f"{q} {a}" for q, a in self.faqs]
        return "\n".join(clean(p) for p in parts)


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _parser(charset: str | None) -> lxml.html.HTMLParser | None:
    """The HTTP header's charset wins over the page's guess (lxml assumes Latin-1 for bytes
    without a <meta charset>, turning "€" into "â\x82¬")."""
    if not charset:
        return None
    try:
        return lxml.html.HTMLParser(encoding=codecs.lookup(charset).name)
    except LookupError:
        return None


def parse(html: str | bytes, url: str, charset: str | None = None) -> lxml.html.HtmlElement:
    parser = None
    if isinstance(html, bytes):
        html = html.replace(b"\x00", b"")
        parser = _parser(charset)
    else:
        html = html.replace("\x00", "")
    try:
        doc = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise UnparseableHtml(f"unparseable HTML: {exc}") from None
    if doc is None or doc.find("body") is None and not clean(doc.text_content()):
        raise UnparseableHtml("unparseable HTML: no document")
    doc.make_links_absolute(url, resolve_base_href=True, handle_failures="discard")
    return doc


def extract(html: str | bytes, url: str, charset: str | None = None) -> PageContent:
    doc = parse(html, url, charset)
    facts, faqs = jsonld.from_document(doc)
    links, forms, actions = links_of(doc), forms_of(doc), actions_of(doc)
    title = clean(doc.findtext(".//title") or "") or _meta(doc, "og:title")
    canonical = _canonical(doc, url)
    lang = (doc.get("lang") or _meta(doc, "content-language") or "").split("-")[0] or None
    _drop_boilerplate(doc)
    root = _main(doc)
    if root.tag == "body":
        _drop_menus(root)
    faqs += _details_faqs(root)  # an FAQ entry is a chunk of its own
    sections, headings = _sections(root)
    if not any(s.paragraphs for s in sections):
        sections = _fallback(html, url)
    return PageContent(
        title, lang, canonical, sections, facts, faqs, headings, links, forms, actions
    )


def _meta(doc: lxml.html.HtmlElement, name: str) -> str:
    for meta in doc.iter("meta"):
        if name in (meta.get("property"), meta.get("name"), meta.get("http-equiv", "").lower()):
            return clean(meta.get("content", ""))
    return ""


def _canonical(doc: lxml.html.HtmlElement, url: str) -> str | None:
    for link in doc.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return urldefrag(urljoin(url, link.get("href").strip()))[0]
    return None


def _drop_boilerplate(doc: lxml.html.HtmlElement) -> None:
    doomed = [
        el
        for el in doc.iter()
        if isinstance(el.tag, str)
        and (
            el.tag in BOILERPLATE
            or (el.get("role") or "") in BOILER_ROLES
            or el.get("hidden") is not None
            or el.get("aria-hidden") == "true"
            or (el.tag in PAGE_FRAME and not _in_content(el))
        )
    ]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    for comment in doc.xpath("//comment()"):
        comment.drop_tree()


MENU_LINKS = 3  # links at least, in a block that is almost only links: a menu
MENU_LINK_SHARE = 0.8  # of the block's letters and digits
MENU_LINK_WORDS = 4  # words a menu entry has at most, on average
MENU_TAGS = ("div", "ul", "ol", "p", "td", "table", "section", "menu", "dl")


def _drop_menus(root: lxml.html.HtmlElement) -> None:
    """On a page without a <main> or <article>, the blocks that are lists of short links (a
    menu in a <div class="menu">, a <ul> of links at the top) are navigation, not content;
    their links still count for the crawl and the page actions (read before this)."""
    for el in list(root.iter(*MENU_TAGS)):
        if el is root or el.getparent() is None:
            continue
        links = [clean(a.text_content()) for a in el.iter("a")]
        links = [text for text in links if text]
        if len(links) < MENU_LINKS:
            continue
        if sum(len(t.split()) for t in links) / len(links) > MENU_LINK_WORDS:
            continue
        letters = _letters(el.text_content())
        if letters and _letters(" ".join(links)) >= MENU_LINK_SHARE * letters:
            el.drop_tree()


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _in_content(el: lxml.html.HtmlElement) -> bool:
    return any(a.tag in ("main", "article") or a.get("role") == "main" for a in el.iterancestors())


def _main(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    for xpath in ("//main", "//*[@role='main']", "//article"):
        found = doc.xpath(xpath)
        if found:
            return found[0]
    return doc.find("body") if doc.find("body") is not None else doc


def _anchor(heading: lxml.html.HtmlElement, text: str) -> str:
    if heading.get("id"):
        return heading.get("id")
    parent = heading.getparent()
    if parent is not None and parent.get("id") and parent.tag in CONTAINERS:
        first = next((c for c in parent if isinstance(c.tag, str)), None)
        if first is heading:
            return parent.get("id")
    named = heading.find(".//a[@name]")
    if named is not None:
        return named.get("name")
    return ":~:text=" + quote(text, safe="")


INLINE = {
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "cite",
    "code",
    "data",
    "del",
    "dfn",
    "em",
    "font",
    "i",
    "img",
    "ins",
    "kbd",
    "label",
    "mark",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "var",
    "wbr",
}
LINE_BREAK = "\u2028"  # LINE SEPARATOR: stands for a <br> until the block's lines are split
SHORT_LINE = 6  # words: lines this short with no label are parts of one thing (an address)


class _Walk:
    """The page read as a reader sees it: every block element (a paragraph, a list item, a
    <div>, a table row) ends a line, inline elements (<span>, <b>, <a>, <small>) run on inside
    it, and no text is left out because a block holds another block."""

    def __init__(self, wrapped: bool = True) -> None:
        self.wrapped = wrapped  # whether a <br> line may go on with the sentence before it
        self.sections = [Section([], None)]
        self.stack: list[tuple[int, str]] = []
        self.headings: list[dict] = []
        self.buffer: list[str] = []

    def flush(self) -> None:
        text, self.buffer = "".join(self.buffer), []
        self.sections[-1].paragraphs += _split_lines(text, self.wrapped)

    def walk(self, el: lxml.html.HtmlElement) -> None:
        if not isinstance(el.tag, str):
            return
        if el.tag in HEADINGS:
            self.flush()
            self.heading(el)
            return
        if el.tag == "br":
            self.buffer.append(LINE_BREAK)
            return
        if el.tag == "details" and _summary(el):
            self.flush()
            self.faq_heading(el)
            for child in el.find("summary").itersiblings():
                self.walk(child)
                self.buffer.append(child.tail or "")
            self.flush()
            return
        if el.tag == "tr" and not _is_layout(el):
            self.flush()
            self.sections[-1].paragraphs += _row(el)
            return
        block = el.tag not in INLINE
        if block:
            self.flush()
        text = el.text or ""
        self.buffer.append(text.replace("\n", LINE_BREAK) if el.tag == "pre" else text)
        for child in el:
            self.walk(child)
            self.buffer.append(child.tail or "")
        if block:
            self.flush()

    def faq_heading(self, details: lxml.html.HtmlElement) -> None:
        """An FAQ entry in <details> is read like a question heading and its answer, anchored
        at the entry's id (and is a chunk of its own too, ``_details_faqs``)."""
        summary = details.find("summary")
        text = _summary(details)
        inner = next(summary.iter(*HEADINGS), None) if summary is not None else None
        level = HEADINGS[inner.tag] if inner is not None else min(len(self.stack) + 1, 6)
        anchor = (
            details.get("id")
            or (summary.get("id") if summary is not None else None)
            or (_anchor(inner, text) if inner is not None else ":~:text=" + quote(text, safe=""))
        )
        self.open(level, text, anchor)

    def heading(self, el: lxml.html.HtmlElement) -> None:
        text = clean(el.text_content())
        if not text:
            return
        self.open(HEADINGS[el.tag], text, _anchor(el, text))

    def open(self, level: int, text: str, anchor: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))
        self.headings.append({"level": level, "text": text, "anchor": anchor})
        self.sections.append(Section([t for _, t in self.stack], anchor))


def _sections(root: lxml.html.HtmlElement) -> tuple[list[Section], list[dict]]:
    walk = _Walk()
    walk.walk(root)
    walk.flush()
    for section in walk.sections:
        _as_card(section)
    return [s for s in walk.sections if s.paragraphs], walk.headings


CARD_LINES = 4  # a card holds at most this many lines
CARD_WORDS = 8  # each of them at most this long


def _as_card(section: Section) -> None:
    """A section of a few short fragments under its heading (a price card: "5 class pass",
    "£58", "use within 2 months") is one thing: it reads as one line its heading labels,
    "5 class pass: £58, use within 2 months", so the fact and what it is of stay together."""
    lines = section.paragraphs
    if not section.path or not lines or len(lines) > CARD_LINES:
        return
    heading = section.path[-1]
    if heading.endswith(("?", ":")):
        return  # a question's answer, a label's value: they read on their own
    if all(len(x.split()) <= CARD_WORDS and not x.endswith((".", "!", "?", ":")) for x in lines):
        if all(":" not in x for x in lines):
            section.paragraphs = [f"{heading}: {', '.join(lines)}"]


def _is_layout(tr: lxml.html.HtmlElement) -> bool:
    """A row that lays out blocks (headings, paragraphs, lists in its cells) is a page layout,
    not a row of data: its cells are read as the blocks they hold."""
    return any(
        isinstance(d.tag, str) and d.tag not in INLINE and d.tag not in ("br", "td", "th")
        for d in tr.iterdescendants()
    )


def _split_lines(text: str, wrapped: bool = True) -> list[str]:
    """A block's text; its <br> lines become paragraphs of their own ("Phone: …", "Email: …",
    one day's hours each) unless they are the short parts of one thing, like an address, which
    are joined with commas instead of glued together ("587Email"). A line that goes on with
    a small letter, or after a comma, is the same sentence wrapped."""
    lines: list[str] = []
    for line in filter(None, (clean(x) for x in text.split(LINE_BREAK))):
        if wrapped and lines and (lines[-1].endswith(",") or line[:1].islower()):
            lines[-1] += " " + line  # one sentence wrapped over two lines
        else:
            lines.append(line)
    if len(lines) > 1 and all(
        len(x.split()) <= SHORT_LINE and ":" not in x and not x.endswith((".", "!", "?"))
        for x in lines
    ):
        return [", ".join(lines)]
    return lines


def _cell(cell: lxml.html.HtmlElement) -> str:
    """A cell's text, its <br> lines joined with commas ("Calzone, folded pizza")."""
    walk = _Walk(wrapped=False)
    walk.walk(cell)
    walk.flush()
    return ", ".join(p for s in walk.sections for p in s.paragraphs)


def _row(tr: lxml.html.HtmlElement) -> list[str]:
    """A table row as one line that keeps its cells together: named by the column headings
    when the table has a heading row ("E-bike: per hour €12, per day €45"), else its first
    cell labels the rest ("Annual boiler service: £85")."""
    cells = [_cell(c) for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
    if not any(cells):
        return []
    table = next((a for a in tr.iterancestors() if a.tag == "table"), None)
    first = next(table.iter("tr"), None) if table is not None else None
    header = (
        [_cell(c) for c in first if isinstance(c.tag, str)]
        if first is not None and all(c.tag == "th" for c in first if isinstance(c.tag, str))
        else []
    )
    if tr is first and header:
        return []  # the column headings: said with every row instead
    if len(header) == len(cells) and len(cells) > 1:
        named = ", ".join(
            f"{h[:1].lower() + h[1:]} {c}".strip()
            for h, c in zip(header[1:], cells[1:], strict=True)
            if c
        )
        return [f"{cells[0]}: {named}" if cells[0] else named]
    values = [c for c in cells[1:] if c]
    if cells[0] and values:
        label = cells[0].rstrip(":")
        return [f"{label}: {', '.join(values)}"]
    return [", ".join(c for c in cells if c)]


def _summary(details: lxml.html.HtmlElement) -> str:
    summary = details.find("summary")
    return clean(summary.text_content()) if summary is not None else ""


def _details_faqs(root: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    faqs = []
    for details in root.iter("details"):
        summary = details.find("summary")
        if summary is None:
            continue
        question = clean(summary.text_content())
        walk = _Walk()  # the answer read by lines, so its <br> lines never glue
        walk.buffer.append(summary.tail or "")
        for child in summary.itersiblings():
            walk.walk(child)
            walk.buffer.append(child.tail or "")
        walk.flush()
        answer = " ".join(p for s in walk.sections for p in s.paragraphs)
        if question and answer:
            faqs.append((question, answer))
    return faqs


def _fallback(html: str | bytes, url: str) -> list[Section]:
    """trafilatura's main-content guess; a page it cannot read keeps no text but still keeps
    its links (an index page made only of links must lead the crawl on)."""
    import trafilatura

    try:
        text = (
            trafilatura.extract(
                html if isinstance(html, str) else html.decode("utf-8", "replace"),
                url=url,
                include_comments=False,
                include_tables=True,
            )
            or ""
        )
    except Exception:  # noqa: BLE001 - a fallback failure leaves the page without text only
        log.warning("fallback text extraction of %s failed", url, exc_info=True)
        return []
    paragraphs = [clean(p) for p in text.split("\n") if clean(p)]
    return [Section([], None, paragraphs)] if paragraphs else []
