"""Small HTML and CSS parsing for the targets, the page composer and the scorers: a DOM-like tree, serialisation, and CSS rules.

`parse_html` builds a forgiving tree (`Element`, `Text`, `Comment`, `Decl`) with html.parser (entities decoded,
void elements closed, unmatched end tags ignored); `serialize` writes it back. `split_page` returns a page's
CSS, title and body. `parse_css` splits a stylesheet into rules (with the enclosing `@media` prelude; other
at-rules kept verbatim), `parse_declarations` splits a declaration block, `specificity` scores a selector.
Enough for the pages the model and the corpus write; not a browser engine (no selector matching, no
cascade computation).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape as _html_escape
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
RAW_TEXT = {"script", "style"}
# Elements that are block-level by default: whitespace between two of them never renders.
BLOCK = {
    "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head",
    "header", "hgroup", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "style", "script", "title", "meta", "link", "br",
    "caption", "colgroup", "col", "option", "optgroup", "legend", "menu",
}
WS = " \t\n\r\f"


# ----------------------------------------------------------------------------------------------- HTML tree
@dataclass
class Element:
    tag: str
    attrs: list[tuple[str, str | None]]
    children: list = field(default_factory=list)

    def get(self, name: str) -> str | None:
        for k, v in self.attrs:
            if k == name:
                return v
        return None

    def set(self, name: str, value: str | None) -> None:
        for i, (k, _) in enumerate(self.attrs):
            if k == name:
                self.attrs[i] = (name, value)
                return
        self.attrs.append((name, value))

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self.attrs)

    def drop(self, name: str) -> None:
        self.attrs = [(k, v) for k, v in self.attrs if k != name]


@dataclass
class Text:
    data: str


@dataclass
class Comment:
    data: str


@dataclass
class Decl:
    data: str


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", [])
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        el = Element(tag, list(attrs))
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, list(attrs)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(Text(data))

    def handle_comment(self, data):
        self.stack[-1].children.append(Comment(data))

    def handle_decl(self, decl):
        self.stack[-1].children.append(Decl(decl))


def parse_html(html: str) -> Element:
    """A forgiving DOM-like tree (`#document` root); entities are decoded in text and attribute values."""
    b = _TreeBuilder()
    b.feed(html)
    b.close()
    return b.root


def find_all(node, tag: str):
    if isinstance(node, Element):
        if node.tag == tag:
            yield node
        for c in node.children:
            yield from find_all(c, tag)


def find_first(node, tag: str) -> Element | None:
    return next(find_all(node, tag), None)


def text_of(el: Element) -> str:
    return "".join(c.data for c in el.children if isinstance(c, Text))


def serialize(node, *, raw_text: bool = True) -> str:
    """HTML text of a node; attribute values and text are re-escaped (raw text inside style/script)."""
    if isinstance(node, Text):
        return _html_escape(node.data, quote=False)
    if isinstance(node, Comment):
        return f"<!--{node.data}-->"
    if isinstance(node, Decl):
        return f"<!{node.data}>"
    if node.tag == "#document":
        return "".join(serialize(c) for c in node.children)
    attrs = "".join(f" {k}" if v is None else f' {k}="{_html_escape(v, quote=True)}"' for k, v in node.attrs)
    if node.tag in VOID:
        return f"<{node.tag}{attrs}>"
    if node.tag in RAW_TEXT and raw_text:
        inner = "".join(c.data for c in node.children if isinstance(c, Text))
    else:
        inner = "".join(serialize(c) for c in node.children)
    return f"<{node.tag}{attrs}>{inner}</{node.tag}>"



@dataclass
class Page:
    """The parts of an HTML page a component needs: its CSS, its title, and the body element."""

    css: str
    title: str | None
    body: Element


def split_page(html: str) -> Page:
    doc = parse_html(html)
    css = "\n".join(text_of(s).strip("\n") for s in find_all(doc, "style"))
    title_el = find_first(doc, "title")
    body = find_first(doc, "body")
    if body is None:
        # A fragment: everything that is not head material is the body.
        body = Element("body", [], [c for c in doc.children
                                    if not (isinstance(c, Element) and c.tag in ("head", "style", "title",
                                                                                   "meta", "link", "script"))
                                    and not isinstance(c, Decl)])
        html_el = find_first(doc, "html")
        if html_el is not None:
            body.children = [c for c in html_el.children if not (isinstance(c, Element) and c.tag == "head")]
    return Page(css, text_of(title_el).strip() if title_el is not None else None, body)


def is_block(node) -> bool:
    return isinstance(node, (Comment, Decl)) or (isinstance(node, Element) and node.tag in BLOCK)


def has_text(el: Element) -> bool:
    """Whether `el` holds text of its own (not only whitespace) among its children: mixed, inline content."""
    return any(isinstance(c, Text) and c.data.strip(WS) for c in el.children)


def collapse_ws(s: str) -> str:
    return re.sub(f"[{WS}]+", " ", s)


def parse_declarations(text: str) -> list[tuple[str, str]]:
    """`a: b; c: d` → [(a, b), (c, d)], honouring quotes and parentheses (data: URLs, font lists)."""
    out, buf, depth, quote = [], "", 0, ""
    for ch in text + ";":
        if quote:
            buf += ch
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == ";" and depth == 0:
            if ":" in buf:
                k, v = buf.split(":", 1)
                if k.strip() and v.strip():
                    out.append((k.strip().lower() if not k.strip().startswith("--") else k.strip(), v.strip()))
            buf = ""
            continue
        buf += ch
    return out


# --------------------------------------------------------------------------------------------------- CSS
@dataclass
class Rule:
    selector: str
    decls: list[tuple[str, str]]
    media: str | None = None  # the enclosing @media prelude, if any
    raw: str | None = None  # an at-rule kept verbatim (@font-face, @keyframes, @import, unknown)


def _strip_css_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def _blocks(css: str):
    """Top-level `prelude { body }` pairs and bare `@import …;` statements, brace-balanced."""
    i, n = 0, len(css)
    while i < n:
        while i < n and css[i] in WS:
            i += 1
        if i >= n:
            return
        j = i
        quote = ""
        while j < n and (quote or css[j] not in "{;"):
            if quote and css[j] == quote:
                quote = ""
            elif not quote and css[j] in "\"'":
                quote = css[j]
            j += 1
        if j >= n:
            return
        if css[j] == ";":
            yield css[i:j].strip(), None
            i = j + 1
            continue
        depth, k = 1, j + 1
        while k < n and depth:
            if css[k] == "{":
                depth += 1
            elif css[k] == "}":
                depth -= 1
            k += 1
        yield css[i:j].strip(), css[j + 1:k - 1]
        i = k


def parse_css(css: str) -> list[Rule]:
    rules: list[Rule] = []
    for prelude, body in _blocks(_strip_css_comments(css)):
        if body is None:
            rules.append(Rule(prelude, [], raw=prelude + ";"))
        elif prelude.lower().startswith("@media"):
            media = prelude[len("@media"):].strip()
            for sel, inner in _blocks(body):
                if inner is None or sel.startswith("@"):
                    rules.append(Rule(sel, [], raw=f"@media {media}{{{sel}{{{inner}}}}}" if inner else sel))
                else:
                    rules.append(Rule(sel, parse_declarations(inner), media=media))
        elif prelude.startswith("@"):
            rules.append(Rule(prelude, [], raw=f"{prelude}{{{body}}}"))
        else:
            rules.append(Rule(prelude, parse_declarations(body)))
    return rules


def rule_css(r: Rule) -> str:
    if r.raw is not None:
        return r.raw
    body = ";".join(f"{p}:{v}" for p, v in r.decls)
    return f"@media {r.media}{{{r.selector}{{{body}}}}}" if r.media else f"{r.selector}{{{body}}}"


def specificity(selector: str) -> tuple[int, int, int]:
    """(ids, classes/attributes/pseudo-classes, types/pseudo-elements) of one complex selector."""
    s = re.sub(r"\"[^\"]*\"|'[^']*'", "", selector)
    s = re.sub(r":(?:not|is|has)\(([^)]*)\)", r" \1", s)  # their argument counts; :where would not
    s = re.sub(r":where\([^)]*\)", "", s)
    ids = len(re.findall(r"#[\w-]+", s))
    pseudo_el = len(re.findall(r"::[\w-]+", s))
    s = re.sub(r"::[\w-]+", "", s)
    classes = len(re.findall(r"\.[\w-]+|\[[^\]]*\]|:[\w-]+", s))
    s = re.sub(r"#[\w-]+|\.[\w-]+|\[[^\]]*\]|:[\w-]+(\([^)]*\))?", "", s)
    types = len([t for t in re.split(r"[\s>+~,]+", s) if t and t != "*"])
    return ids, classes, types + pseudo_el
