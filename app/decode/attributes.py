"""What the attributes of generated HTML may be: their names by element, their values by attribute, and the
class names a page's body may use (`app.decode.grounding` asks these byte by byte as a model writes a tag).

A small model lost on a page writes in its tags what it cannot write in the text: the words it was denied
(`<s in half · 18, 14, 2025 4 min read>`), made-up class lists (`class="cost teamses0 minuds172a"`),
attributes that mean nothing on their element (`<header points="" sizes="" name="" required="">`) and CSS in
a table cell's span (`colspan="mor lo), 10/loads 2025 · 3 min read.foot{display:flex;…`). The rules:
- an attribute's name is one its element takes (`ELEMENT_ATTRIBUTES`), a global one (with ARIA's common
  ones), or `data-…`; written once in a tag (`attribute_unwritten`);
- in the body it has a value unless it is one of HTML's booleans (`BOOLEAN_ATTRIBUTES`), and a tag has at
  most TAG_ATTRIBUTES of them;
- a `data-…` name has at most FREE_NAME_BYTES;
- its value is one line of at most VALUE_BYTES, of the bytes its attribute takes (`VALUE_KINDS`: a number, a
  keyword, a URL, a path, coordinates, declarations; else text, of at most TEXT_BYTES in the body);
- a class list holds at most CLASS_NAMES names of CLASS_CHARS in at most CLASS_BYTES, and in the body each
  name is one the reply's stylesheet defines (`defined_classes`) or a section's landmark (`LANDMARK_CLASSES`).
Each was kept because it scored higher on 40 held-out pages (`bench/RESULTS.md`).

Names are compared lower-cased. Not here: the byte machine that follows tags and text (`app.decode.grounding`),
which elements may open where (`app.decode.nesting`).
"""
from __future__ import annotations

import re
from functools import lru_cache

GLOBAL_ATTRIBUTES = frozenset(t.encode() for t in (
    "class dir hidden id lang role style tabindex title aria-label aria-hidden aria-current aria-expanded "
    "aria-controls aria-labelledby aria-describedby aria-live aria-selected aria-pressed").split())
_SVG_PAINT = "fill stroke stroke-width stroke-linecap stroke-linejoin transform"
# What each element takes beyond the global attributes (HTML's and SVG's own lists, cut to what pages write)
ELEMENT_ATTRIBUTES = {k.encode(): frozenset(t.encode() for t in v.split()) for keys, v in (
    ("a", "href target rel download"),
    ("img", "src alt width height loading srcset sizes"),
    ("input", "type name value placeholder checked disabled required readonly min max step maxlength pattern "
              "autocomplete autofocus multiple size accept"),
    ("button", "type name value disabled autofocus"),
    ("form", "action method autocomplete"),
    ("label output", "for"),
    ("select", "name multiple disabled required size autocomplete"),
    ("option", "value selected disabled label"),
    ("optgroup", "label disabled"),
    ("textarea", "name rows cols placeholder required disabled readonly maxlength wrap autofocus"),
    ("td th", "colspan rowspan"),
    ("col colgroup", "span"),
    ("ol", "start"),
    ("li data", "value"),
    ("time", "datetime"),
    ("del ins", "cite datetime"),
    ("blockquote q", "cite"),
    ("meter progress", "value min max"),
    ("details dialog", "open"),
    ("fieldset", "name disabled"),
    ("video", "src controls poster width height"),
    ("audio", "src controls"),
    ("source", "src type srcset sizes"),
    ("track", "src label"),
    ("iframe embed object", "src type width height loading"),
    ("meta", "charset name content"),
    ("link", "rel href type sizes"),
    ("script", "src type"),
    ("svg", "viewbox width height xmlns " + _SVG_PAINT),
    ("path", "d " + _SVG_PAINT),
    ("circle", "cx cy r " + _SVG_PAINT),
    ("ellipse", "cx cy " + _SVG_PAINT),
    ("rect", "x y width height " + _SVG_PAINT),
    ("line", "x1 y1 x2 y2 " + _SVG_PAINT),
    ("polyline polygon", "points " + _SVG_PAINT),
    ("g", _SVG_PAINT),
    ("use", "href x y"),
) for k in keys.split()}
ATTRIBUTES = GLOBAL_ATTRIBUTES.union(*ELEMENT_ATTRIBUTES.values())  # every name, on some element
# The attributes whose presence is their value: in the body any other is written with one (run 9 wrote
# `<br class style id lang aria-selected title aria-live role tabindex="-4">` where it wanted words)
BOOLEAN_ATTRIBUTES = frozenset(t.encode() for t in (
    "autofocus checked controls disabled hidden multiple open readonly required selected").split())
TAG_ATTRIBUTES = 4  # the most in one body tag (the 40 held-out pages' 1,452 body tags have at most 2)
FREE_ATTRIBUTES = (b"data-",)  # any name after it (ARIA's are named: run 9 wrote `aria-3`, `aria-stylenav`)
# A free name's longest, `data-` included (the longest named one, `aria-describedby`, has 16; run 9 wrote a
# `data-sh1px2004ade80onotebottom…` of 2,000 bytes until a phone's page ran out of tokens)
FREE_NAME_BYTES = 24
VALUE_BYTES = 120  # an attribute value's longest (the corpus's: 47, an icon's path; no value spans lines)
# A text value's longest (`placeholder`, `value`, `alt`, `title`, `aria-…`, `data-…`; the corpus's: 16, a
# placeholder): run 9 wrote its denied words and CSS there on real pages, 120 bytes a value, until out of tokens
TEXT_BYTES = 40
# A class list's longest and most names (the corpus's: 13 bytes and 2 names, "grid cols-4"; run 6 wrote the words it
# was denied into 40-byte lists, `class="cost teamses0 min read the d in half Dec"`)
CLASS_BYTES, CLASS_NAMES = 24, 3
CLASS_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ ")
# What an attribute's value is made of, by attribute: (its bytes, its longest). Run 9 wrote its denied words and
# CSS into values (`colspan="mor lo), 10/loads 2025 · 3 min read.foot{display:flex;…`); values not named here
# (`alt`, `title`, `placeholder`, `value`, `content`, `data-…`, `aria-…`) hold text.
_DIGITS, _NAME = b"0123456789", b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
_NUMBER = (frozenset(_DIGITS + b".-%"), 12)      # a size, a coordinate, a date
_COUNT = (frozenset(_DIGITS), 2)                  # rows, columns, cells spanned (run 9: `<textarea rows="121806-6-2-2">`,
                                                  # a box 1.8 million pixels tall)
_WORDS = (frozenset(_NAME + b" ."), 24)           # a keyword or two (`_blank`, `noopener noreferrer`, `utf-8`)
_URL = (frozenset(range(0x21, 0x7F)) - frozenset(b"\"'<>{}`\\"), VALUE_BYTES)
_COORDINATES = (frozenset(_DIGITS + b" ,.-"), VALUE_BYTES)  # points, a view box
_PATH = (frozenset(_DIGITS + b" ,.-MmLlHhVvCcSsQqTtAaZz"), VALUE_BYTES)  # a path's commands
_TRANSFORM = (frozenset(_NAME + b" ,.()"), VALUE_BYTES)
_STYLE = (frozenset(range(0x20, 0x7F)) - frozenset(b"{}<>"), VALUE_BYTES)  # declarations, not rules
VALUE_KINDS = {k.encode(): kind for keys, kind in (
    ("colspan rowspan span cols rows size", _COUNT),
    ("start maxlength min max step width height x y x1 y1 x2 y2 cx cy r tabindex stroke-width", _NUMBER),
    ("id role type target rel method autocomplete loading dir lang wrap for name charset fill stroke "
     "stroke-linecap stroke-linejoin xmlns", _WORDS),
    ("href src action cite poster srcset sizes datetime", _URL),
    ("points viewbox", _COORDINATES),
    ("d", _PATH),
    ("transform", _TRANSFORM),
    ("style", _STYLE),
) for k in keys.split()}
# A class name in the body is one the reply's stylesheet defines (run 9 wrote class lists of made-up names,
# `class="cost teamses0 minuds172a"`, that no rule styles), or a section's name: pages learnt from label a
# section by what it holds without always styling it (7% of class names on 400 training pages, all of these)
LANDMARK_CLASSES = frozenset(
    t.encode() for t in "cards data features posts pricing products shop signin stats".split())
_DECLARATIONS = re.compile(rb"\{[^{}]*\}")
_CLASS_SELECTOR = re.compile(rb"\.(-?[A-Za-z_][A-Za-z0-9_-]*)")


def _prefixes(names) -> frozenset:
    return frozenset(n[:k] for n in names for k in range(1, len(n) + 1))


@lru_cache(maxsize=128)
def element_attributes(tag: bytes) -> tuple[frozenset, frozenset]:
    """The attribute names element `tag` (lower-case) takes, and their prefixes (`data-…` aside)."""
    names = GLOBAL_ATTRIBUTES | ELEMENT_ATTRIBUTES.get(tag, frozenset())
    return names, _prefixes(names | set(FREE_ATTRIBUTES))


def attribute_fits(tag: bytes, name: bytes, complete: bool) -> bool:
    """Whether an attribute of element `tag` whose name (lower-case) is `name` so far may be written
    (`complete`: it has ended)."""
    if name.startswith(FREE_ATTRIBUTES):
        rest = name[len(FREE_ATTRIBUTES[0]):]
        return ((bool(rest) or not complete) and len(name) <= FREE_NAME_BYTES
                and all(c == 0x2D or 0x61 <= c <= 0x7A or 0x30 <= c <= 0x39 for c in rest))
    names, prefixes = element_attributes(tag)
    return name in (names if complete else prefixes)


def attribute_unwritten(tag: bytes, prefix: bytes, seen: tuple) -> bool:
    """Whether an attribute name begun as `prefix` can still end as one element `tag` takes and does not have
    yet (a name refused only at its end left a lost model no way on: `<header hidden hidden`)."""
    if not seen or prefix.startswith(FREE_ATTRIBUTES) or any(f.startswith(prefix) for f in FREE_ATTRIBUTES):
        return True
    return any(n.startswith(prefix) and n not in seen for n in element_attributes(tag)[0])


def defined_classes(sheet: bytes) -> frozenset:
    """The class names a stylesheet's selectors name (`.card`, `.grid.cols-3 > a`, in `@media` blocks too)."""
    selectors = _DECLARATIONS.sub(b" ", sheet)  # the innermost `{…}`: declarations, where `.5em` is no class
    return frozenset(_CLASS_SELECTOR.findall(selectors))


def value_fits(attr: bytes, length: int, byte: int, body: bool = True) -> bool:
    """Whether `byte`, the `length`-th of attribute `attr`'s value (a class list aside), may be written; a
    text value in the head (`<meta name="viewport" content="…">`) may hold VALUE_BYTES, in the body TEXT_BYTES."""
    if byte in b"\r\n" or length > VALUE_BYTES:
        return False
    chars, longest = VALUE_KINDS.get(attr, (None, TEXT_BYTES if body else VALUE_BYTES))
    return length <= longest and (chars is None or byte in chars)
