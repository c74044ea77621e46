"""The bands' pages joined into one page, and a stylesheet scoped to one element.

`join_pages(pages, heights)` makes one page of the bands' pages (`app.media.bands`): each band's body becomes
a `<div class="uc-bandK">` at least as tall as its band was, and its stylesheet is scoped to that div (`body`
and `html` rules style the div, every other selector is prefixed), so that the bands' class names cannot
clash; the first band's `body` rules also style the page. One `<style>` block, as the model writes it.
`scope_css` is also how the model's regions keep their own styles inside the engine's page
(`app.compose.choose`).
"""
from __future__ import annotations

import re
from typing import Sequence

_STYLE = re.compile(r"<style[^>]*>(.*?)</style\s*>", re.S | re.I)
_BODY = re.compile(r"<body([^>]*)>(.*?)(?:</body\s*>|$)", re.S | re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.S | re.I)
_CLASS = re.compile(r"""\bclass\s*=\s*(["'])(.*?)\1""", re.S | re.I)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_ROOT = re.compile(r"(?:html|body|:root)\b", re.I)


def join_pages(pages: Sequence[str], heights: Sequence[int] | None = None) -> str:
    """One HTML page from the bands' pages, in order (see the module doc); `heights`: each band's height in
    the input (px), kept as the band's least height so that each starts where it did. The first band's
    `html`/`body` rules also style the page itself (its background runs on below the last band). A single
    page is returned as is."""
    if len(pages) == 1:
        return pages[0]
    css, bodies, title = [], [], None
    for k, page in enumerate(pages, 1):
        scope = f"uc-band{k}"
        sheets = _STYLE.findall(page)
        if k == 1:
            css.extend(root_rules(s) for s in sheets)
        css.extend(scope_css(s, "." + scope) for s in sheets)
        if heights:
            css.append(f".{scope}{{min-height:{int(heights[k - 1])}px}}")
        title = title or next(iter(_TITLE.findall(page)), None)
        body = _BODY.search(page)
        attrs, inner = (body.group(1), body.group(2)) if body else ("", _STYLE.sub("", page))
        cls = _CLASS.search(attrs)
        classes = scope + (" " + cls.group(2) if cls else "")
        inner = _STYLE.sub("", inner)  # a stray body stylesheet: its rules are scoped into the head already
        bodies.append(f'<div class="{classes}">\n{inner.strip()}\n</div>')
    style = "body{margin:0}\n" + "\n".join(c.strip() for c in css if c.strip())
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            + (f"<title>{title.strip()}</title>\n" if title else "")
            + f"<style>\n{style}\n</style>\n</head>\n<body>\n" + "\n".join(bodies) + "\n</body>\n</html>\n")


def root_rules(css: str) -> str:
    """The rules of `css` that style the page itself (`html`, `body`, `:root` alone), as they are."""
    css = _COMMENT.sub("", css)
    out = []
    for head, inner in re.findall(r"([^{}]*)\{([^{}]*)\}", css):
        if head.strip() and all(_ROOT.fullmatch(h.strip()) for h in head.split(",")):
            out.append(f"{head.strip()}{{{inner.strip()}}}")
    return "\n".join(out)


def scope_css(css: str, scope: str) -> str:
    """`css` with every rule limited to the element `scope` selects: `html`/`body`/`:root` stand for it,
    other selectors are prefixed with it; `@media`/`@supports` blocks are scoped inside, other at-rules
    (`@keyframes`, `@font-face`) kept as they are."""
    css = _COMMENT.sub("", css)
    out, i = [], 0
    while True:
        j = css.find("{", i)
        if j < 0:
            break
        head = css[i:j].strip()
        k = _block_end(css, j)
        inner = css[j + 1:k]
        if head.startswith("@"):
            scoped = scope_css(inner, scope) if head.lower().startswith(("@media", "@supports")) else inner
            out.append(f"{head}{{{scoped}}}")
        elif head:
            out.append(",".join(_scope_selector(s, scope) for s in head.split(",")) + "{" + inner.strip() + "}")
        i = k + 1
    return "\n".join(out)


def _block_end(css: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(css)):
        depth += {"{": 1, "}": -1}.get(css[k], 0)
        if depth == 0:
            return k
    return len(css)


def _scope_selector(sel: str, scope: str) -> str:
    sel = " ".join(sel.split())
    rest, root = sel, False
    while _ROOT.match(rest):  # "html body .x" → ".scope .x"
        rest, root = _ROOT.sub("", rest, count=1).strip(), True
    if root:
        return f"{scope} {rest}" if rest else scope
    return f"{scope} {sel}"
