"""Which element may open, and which may close, at a point of generated HTML: the nesting rules that keep a
model's page well-formed as it is written (`app.decode.grounding` asks them byte by byte).

A small model loses count of its open elements and invents tag names: run 2 of the layout-sketch model wrote
`<bodya class="logo">` and `<head-shadow:0.00<` inside a body, and none of its pages on our mockups nested.
The rules:
- an element name is an HTML (or inline SVG) element's; in the body, never one that belongs in the head or
  restarts the page (`html`, `head`, `body`, `title`, `meta`, `link`, `base`), nor a `<style>` or `<script>`,
  whose raw text would take the rest of the page (run 2 opened a `<style>` inside a `<b>` and wrote its
  page on into it, free of the OCR text);
- the page's frame comes in order: `<html>`, in it `<head>` (only head elements in it: on 3 of
  the 40 real pages the embedded model opened a second `<html>` in its head and closed it, after which its
  reply could neither go on nor end)
  and `<body>`, and `</html>` only after it (a lost model closed its page after its head and handed over a blank);
- an end tag closes the innermost open element, and only it; after `</body>` only `</html>` may come;
- a non-void element is not self-closed (`<div/>` opens a div the browser never closes);
- a `<textarea>` holds no tags: the browser reads all up to `</textarea>` as its text;
- SVG's shapes (`path`, `circle`, `g`, …) open only inside an `<svg>`, and only they open in one: elsewhere a
  shape draws nothing (run 9 wrote `<footer class="foot"><path></path></footer>` 23 times, in links, table
  headers and a heading);
- a list, a table and its parts, a select hold only their own children (CHILDREN: `li`; `tr`; `td`, `th`;
  `option`), and no text (`NO_TEXT`); an `option` holds text only. Anything else the browser moves out of
  the table or drops, and the page no longer looks as written: run 9 opened a `<section>` with a form and a
  list inside an `<option>` of a `<select>` inside a `<code>` in a table cell. None of the 40 held-out pages'
  lists, tables or selects holds anything else (51 list items, 159 cells);
- and the other way round, an item, a row, a cell, an option, a figure's or a fieldset's caption (PARENTS)
  opens only in its own parent: run 9 wrote `<col>` and `<track>` in a table cell's heading, `<li>` in a `<nav>`.

Not a rule: the elements a browser closes on its own (a block in a `<p>`, `<a>` in `<a>`). Refusing them
forced other names on a model that had begun one (`<p` in a paragraph became `<picture>`, again and again, on
held-out pages); a browser ends the paragraph there and the page looks as written.
Tag names are compared lower-cased. Not here: the byte machine that follows tags and text, with the rules that
depend on the text still to write (`app.decode.grounding`), attributes (`app.decode.attributes`), the
well-formedness check of finished pages (`app.markup.check`).
"""
from __future__ import annotations

from functools import lru_cache

from app.markup.parse import VOID as _VOID

VOID = frozenset(t.encode() for t in _VOID)
ELEMENTS = frozenset(t.encode() for t in (
    "a abbr address article aside audio b base bdi bdo blockquote body br button canvas caption cite code col "
    "colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend li link main mark menu "
    "meta meter nav noscript object ol optgroup option output p picture pre progress q rp rt ruby s samp script "
    "search section select small source span strong style sub summary sup table tbody td template textarea tfoot "
    "th thead time title tr track u ul var video wbr "
    "svg path circle rect line polyline polygon ellipse g defs use"
).split())
SVG_SHAPES = frozenset(t.encode() for t in "path circle rect line polyline polygon ellipse g defs use".split())
HEAD_ONLY = frozenset({b"html", b"head", b"body", b"title", b"meta", b"link", b"base", b"style", b"script",
                       b"noscript", b"template"})
DECLARATIONS = (b"!--", b"!doctype")
RCDATA = frozenset({b"textarea"})  # text up to the end tag, whatever it holds (a title is not in the body)
# the only children these hold (and no text, but for an option's)
CHILDREN = {k.encode(): frozenset(v.encode() for v in vs.split()) for k, vs in {
    "ul": "li", "ol": "li", "table": "caption colgroup thead tbody tfoot tr", "thead": "tr", "tbody": "tr",
    "tfoot": "tr", "tr": "td th", "select": "option optgroup", "optgroup": "option", "colgroup": "col",
    "option": ""}.items()}
NO_TEXT = frozenset(CHILDREN) - {b"option"}
# the only parents these open in (an item outside its list, a cell outside its row, a caption outside its figure)
PARENTS = {k.encode(): frozenset(v.encode() for v in vs.split()) for k, vs in {
    "li": "ul ol menu", "tr": "table thead tbody tfoot", "td": "tr", "th": "tr", "option": "select optgroup datalist",
    "optgroup": "select", "col": "colgroup", "colgroup": "table", "caption": "table", "thead": "table",
    "tbody": "table", "tfoot": "table", "dt": "dl", "dd": "dl", "figcaption": "figure", "legend": "fieldset",
    "summary": "details", "source": "picture audio video", "track": "audio video", "rt": "ruby", "rp": "ruby"}.items()}


def _prefixes(names) -> frozenset:
    return frozenset(n[:k] for n in names for k in range(1, len(n) + 1))


BODY_ELEMENTS = ELEMENTS - HEAD_ONLY  # the elements a page's body may hold
_IN_SVG = (SVG_SHAPES, _prefixes(SVG_SHAPES))


@lru_cache(maxsize=128)
def _body_names(parent: bytes | None) -> tuple[frozenset, frozenset]:
    """The elements that open in the body under `parent` (None: at the body's top): any but an SVG shape,
    and one of PARENTS only in its own parents."""
    names = frozenset(n for n in BODY_ELEMENTS - SVG_SHAPES if n not in PARENTS or parent in PARENTS[n])
    return names, _prefixes(names)


IN_HEAD = frozenset({b"meta", b"title", b"style", b"link", b"script", b"base", b"noscript"})


@lru_cache(maxsize=64)
def _page_names(stack: tuple) -> tuple[frozenset, frozenset]:
    """Before the body: `<html>` first, in it `<head>` or `<body>`, in the head its own elements."""
    if not stack:
        names = frozenset({b"html"})
    elif stack == (b"html",):
        names = frozenset({b"head", b"body"})
    elif stack == (b"html", b"head"):
        names = IN_HEAD
    else:
        names = frozenset()
    return names, _prefixes(names)


def name_fits(stack: tuple, body: bool, name: bytes, complete: bool) -> bool:
    """Whether a tag whose name (lower-case, after `<`) is `name` so far may be written with `stack` open
    (outermost first), `body`: inside the page's body. `/x` closes the innermost open element, `!--` and
    `!doctype` are declarations of the head, any other name opens an element (`complete`: the name has ended,
    else it may still grow)."""
    if body and stack == (b"html",):  # the body is closed: only the page's end
        want = (b"/html",)
    elif stack and stack[-1] in RCDATA:  # the browser reads everything up to its end tag as text
        want = (b"/" + stack[-1],)
    elif name.startswith(b"/"):  # (`</html>` only after a body: a lost model closed its page after its head)
        want = (b"/" + stack[-1],) if stack and (body or stack != (b"html",)) else ()
    elif name.startswith(b"!"):
        want = () if body else DECLARATIONS  # a comment in the body is where a lost model writes on freely
    elif body and stack and stack[-1] in CHILDREN:
        names = CHILDREN[stack[-1]]
        return name in names if complete else any(n.startswith(name) for n in names)
    else:
        names, prefixes = ((_IN_SVG if b"svg" in stack else _body_names(stack[-1] if stack else None)) if body
                           else _page_names(stack))
        return name in (names if complete else prefixes)
    return any(w == name if complete else w.startswith(name) for w in want)
