"""From one HTML page to what the knowledge base keeps: title, language, canonical URL, main
content as sections under their headings (with anchors), JSON-LD facts and FAQ entries, and the
page's links, forms and actions (for the page-action catalog).

Boilerplate (navigation, header, footer, asides, scripts) is dropped structurally; when that
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
BLOCKS = {
    "p",
    "li",
    "tr",
    "pre",
    "blockquote",
    "dd",
    "dt",
    "td",
    "th",
    "figcaption",
    "address",
    "caption",
    "summary",
}
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
    faqs += _details_faqs(root)  # then dropped: an FAQ entry is a chunk of its own
    for details in list(root.iter("details")):
        details.drop_tree()
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


def _is_leaf_block(el: lxml.html.HtmlElement) -> bool:
    if el.tag in BLOCKS:
        return not any(a.tag in BLOCKS for a in el.iterancestors())
    if el.tag in CONTAINERS:  # a div holding text directly, with no blocks inside
        inner = (d.tag for d in el.iterdescendants() if isinstance(d.tag, str))
        return not any(t in BLOCKS or t in HEADINGS or t in CONTAINERS for t in inner) and not any(
            a.tag in BLOCKS for a in el.iterancestors()
        )
    return False


def _sections(root: lxml.html.HtmlElement) -> tuple[list[Section], list[dict]]:
    sections = [Section([], None)]
    stack: list[tuple[int, str]] = []
    headings = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in HEADINGS:
            text = clean(el.text_content())
            if not text:
                continue
            level = HEADINGS[el.tag]
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            anchor = _anchor(el, text)
            headings.append({"level": level, "text": text, "anchor": anchor})
            sections.append(Section([t for _, t in stack], anchor))
        elif _is_leaf_block(el) and not any(a.tag in HEADINGS for a in el.iterancestors()):
            sections[-1].paragraphs += _row(el) if el.tag == "tr" else _lines(el)
    return [s for s in sections if s.paragraphs], headings


LINE_BREAK = "\u2028"  # LINE SEPARATOR: stands for a <br> until the block's lines are split
SHORT_LINE = 6  # words: lines this short with no label are parts of one thing (an address)


def _lines(el: lxml.html.HtmlElement) -> list[str]:
    """A block's text; its <br> lines become paragraphs of their own ("Phone: …", "Email: …",
    one day's hours each) unless they are the short parts of one thing, like an address, which
    are joined with commas instead of glued together ("587Email")."""
    for br in el.iter("br"):
        br.tail = LINE_BREAK + (br.tail or "")
    lines = [clean(line) for line in el.text_content().split(LINE_BREAK)]
    lines = [line for line in lines if line]
    if len(lines) > 1 and all(len(x.split()) <= SHORT_LINE and ":" not in x for x in lines):
        return [", ".join(lines)]
    return lines


def _row(tr: lxml.html.HtmlElement) -> list[str]:
    """A table row as one line that keeps its cells together, named by the column headings
    when the table has a heading row: "E-bike: per hour €12, per day €45"."""
    cells = [
        clean(c.text_content()) for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")
    ]
    if not any(cells):
        return []
    table = next((a for a in tr.iterancestors() if a.tag == "table"), None)
    first = next(table.iter("tr"), None) if table is not None else None
    header = (
        [clean(c.text_content()) for c in first if isinstance(c.tag, str)]
        if first is not None and all(c.tag == "th" for c in first if isinstance(c.tag, str))
        else []
    )
    if tr is first and header:
        return []  # the column headings: said with every row instead
    if len(header) == len(cells) and len(cells) > 1:
        named = ", ".join(
            f"{h[:1].lower() + h[1:]} {c}".strip()
            for h, c in zip(header[1:], cells[1:], strict=True)
        )
        return [f"{cells[0]}: {named}"]
    return [", ".join(c for c in cells if c)]


def _details_faqs(root: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    faqs = []
    for details in root.iter("details"):
        summary = details.find("summary")
        if summary is None:
            continue
        question = clean(summary.text_content())
        answer = clean(details.text_content())[len(question) :].strip()
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
