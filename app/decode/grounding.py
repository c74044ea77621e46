"""Text grounding: the visible text of generated HTML is drawn from the input's OCR lines.

A small model given the page's text in its prompt (Design2Code's text-augmented prompting) still drifts
into phrases it memorised in training: on held-out pages the embedded mini model wrote "Fast, private and
secure" where the mockup said "Hiring made human". `HtmlTextGrounding` is a decoding constraint
(`model.generate.TokenConstraint`) that makes every text node of the HTML a run of the OCR text, so the
model still decides the structure, tags, styles and where each text goes, but copies the words. The lines
are the OCR lines in reading order or, for a model trained on the layout sketch, the sketch's texts in the
sketch's order (`app.layout.tree.tree_texts`): the near-line window below then keeps the model's elements on
the sketch's nodes, in order, so it cannot wander off into another page.

It follows the output byte by byte through a small HTML tokenizer:
- outside text nodes the text is free: attribute values, `<style>` and `<script>` contents, the `<title>`
  before `<body>` (a mockup rarely shows it), comments in the head, the code fence before the first tag;
- the tags nest (`app.decode.nesting`): element names are HTML's, SVG's shapes only in an `<svg>`, written
  lower-case in the body, the page's frame comes in order, an end tag closes the innermost open element, and
  inside the body no `<!DOCTYPE>`, `<html>`, `<head>`, `<body>` or head element (a lost model restarts the
  page), nor a comment (a lost model writes on inside one, free of the OCR text); no `<` inside a tag, quoted
  or not (a lost model's `<h3 class="x</p><div">`);
- attributes (`app.decode.attributes`): names their element takes, once in a tag (SVG's `viewBox` as SVG
  spells it, others lower-case), values of their attribute's kind, class names the reply's stylesheet
  defines;
- an element that pages never leave empty (a heading, a paragraph, a link, an item: all but MAY_BE_EMPTY)
  ends only after its text or an element (run 9 wrote `<h2></h2><p></p><a href="#"></a>` where it wanted
  words the page does not have), and a page's landmarks (ONCE: `main`, `header`, `footer`) open once (run 9
  wrote `<footer class="foot">…` 23 times, each inside the last, until its tokens ran out);
- a stylesheet holds no markup: outside a CSS string, `<` only begins its `</style>` (a lost model opened a
  second `<style>` in it, or wrote its body's tags into it); it ends at the first rule's end past STYLE_BYTES,
  longer than any the models learnt from (in bytes or in tokens), and a third further on its open rules are
  closed first (run 3 wrote `{` it never closed until its tokens ran out); after `</html>` only the code
  fence's end;
- in a text node (element content of the body), leading whitespace is free (but for a form feed, which
  Chromium draws as a box); the text must then follow one OCR line from its first word not yet used,
  whitespace runs standing for one space; at the end of a line it may go on into the next line (a paragraph
  wrapped over several OCR lines); the node can end (`<`) only at the end of a word, so a line read as one
  ("Home About Pricing") can fill several elements in order; with `whole` (the lines are a sketch's texts,
  each already one element's) only at the end of a line, it starts at the start of the first line not yet
  used that has a letter or digit (the sketch's order, not the near-line window below), a whitespace run in
  the body is at most WS_RUN bytes and inside a text one space: run 9, free to end anywhere and to go back,
  scattered a heading over several elements ("The quiet" / "& LAND return of the") and wrote a paragraph's end
  before its start;
- a node may skip a line's first unused word when it has no letter or digit (OCR's reading of an icon or a
  bullet: "~ Tidewater");
- a node starts in a line near the last one used (BACK lines before it to AHEAD after it, in reading order)
  or in the first line not used up: the model walks down the page instead of jumping to its end (with
  `whole`, in the first line not used up only);
- when a node ends, the words it used are consumed: a text is copied once (a repeated label is repeated
  in the OCR, so repeats stay possible);
- once every word with a letter or digit is used, nothing opens in the body, only end tags follow: the page's
  content is written, and a lost model went on opening empty elements, each inside the last, until its tokens
  ran out (run 9, after its dashboard's last text: `<hr><hr class="page item"><input class="page cards"><hr>…`);
  with `whole`, the other way round, the body ends only once every such word is written (run 9 closed a
  settings page after its first heading);
- in the body a tag is written as every page learnt from writes one (`_written_as_learnt`), an attribute
  with a value unless it is a boolean, at most TAG_ATTRIBUTES in a tag (`app.decode.attributes`).
OCR text is matched in its HTML-escaped form (`&amp;`, `&lt;`, `&gt;`). The stop tokens are refused inside a
text node's words (a model denied the word it wanted would otherwise stop there, mid-page, when the stop
token ranks above the allowed continuation) and while an element is open (the reply ends with its page
closed); other special tokens are never allowed in the reply.

When none of the model's best tokens is allowed it wants words the input does not have. Taking the likeliest
allowed token instead (a stray OCR word it did not think of) derailed the markup that followed; `fallback`
gives the slot the first OCR line not yet used (`fill`, the default; for a slot that may not be left empty,
from wherever the model ranks the line's beginning), or leaves the element empty.
Each rule was kept because it scored higher on the first 40 held-out pages (`uicode eval`, mean of the five
scores; free text: 0.630): empty slots 0.664, filled slots 0.703, + near lines and no page restart 0.719,
+ quotes read as the browser reads them 0.739, + nodes start at a line's first unused word (not any word)
0.754. With the layout-sketch model (run 9), attributes, no empty slots and landmarks once took Block-Match
from 0.652 to 0.808 and well-formed replies from 82.5% to 97.5%. Whole runs: `bench/RESULTS.md`.

Not here: the sampler that asks the constraint (`model.generate`), reading the OCR lines (`vision.ocr`),
deciding when a conversion is grounded (`app.pipeline`).
"""
from __future__ import annotations

import html
import re
import weakref
from typing import Sequence

from app.decode.attributes import (BOOLEAN_ATTRIBUTES, CLASS_BYTES, CLASS_CHARS, CLASS_NAMES, LANDMARK_CLASSES,
                                   TAG_ATTRIBUTES, attribute_fits, attribute_unwritten, defined_classes, value_fits)
from app.decode.nesting import BODY_ELEMENTS, CHILDREN, NO_TEXT, SVG_SHAPES, VOID, name_fits

RAW_TAGS = {b"style", b"script"}
FALLBACK_SCAN = 512  # the model's best tokens the fallback looks at
BACK, AHEAD = 6, 4  # a text node starts in lines [last - BACK, last + AHEAD] of the last line used
SPACE = frozenset(b" \t\n\r\f")
FF = ord("\f")
# with `whole` (the sketch model), whitespace in the body, between its elements and in its text, runs at most this
# long: every page it learnt from has runs of one byte; run 9, denied the `<` it wanted inside a sketch's text,
# wrote hundreds of bytes of it (a model that indents its markup is not held to it)
WS_RUN = 2
OUT, TAG, DATA, RAW, COMMENT, END = range(6)
LT, GT, SLASH, BACKTICK = ord("<"), ord(">"), ord("/"), ord("`")
UPPER_A, UPPER_Z = ord("A"), ord("Z")
TAIL = b"\n```\n"  # what may follow </html>
LBRACE, RBRACE = ord("{"), ord("}")
# A stylesheet longer than this is a model going round in it (2,200 corpus pages: median 1,145 bytes, longest
# 1,965; the 200 held-out pages' longest is 658 tokens; run 3 spent all 1,536 tokens of our dashboard and docs
# mockups in theirs and wrote no body, run 4 its dashboard's in `h1,h2,h2,h2,…`): past it, in bytes or in
# tokens, the sheet ends at the next rule's end; past a third more (a model writing `{` it never closes), the
# open rules are closed and the sheet ends there.
STYLE_BYTES, STYLE_TOKENS = 2400, 800
# A page's landmarks, each written once on every page learnt from (400 training pages): a lost model wrote
# `<footer class="foot">…` again and again, each inside the last, until its tokens ran out (run 9, seed 152: 23 times)
ONCE = frozenset({b"main", b"header", b"footer"})
# The elements a page may leave empty: a box drawn by its style (a picture's place, a divider), an icon, a field,
# a table's cell. The 400 training pages leave no other empty (no empty heading, paragraph, link or item); run 9
# wrote `<h2></h2><p></p><a href="#"></a>` where it wanted words the page does not have.
MAY_BE_EMPTY = frozenset({b"div", b"i", b"span", b"textarea", b"td", b"th", b"svg", b"canvas", b"video", b"audio",
                          b"iframe", b"object", b"select", b"picture", b"figure"}) | SVG_SHAPES
_ALNUM = re.compile(rb"[0-9A-Za-z\x80-\xff]")  # a word still to write has a letter or digit (not OCR's "~")
QUOTES = b"\"'"


class _Lines:
    """The OCR lines as HTML-escaped UTF-8 bytes, whitespace runs as one space."""

    def __init__(self, lines: Sequence[str]):
        texts = (" ".join(str(t).split()) for t in lines)
        self.text = [html.escape(t, quote=False).encode("utf-8") for t in texts if t]


class _State:
    """Where the output stands; cheap to copy, so a token can be tried without changing the real state."""

    __slots__ = ("mode", "buf", "quote", "raw", "started", "space", "cands", "cursor", "written", "body", "last",
                 "stack", "named", "attr", "value", "css", "vattr", "vlen", "vnames", "vprev", "seen", "tag",
                 "sheet", "classes", "vword", "empty", "opened", "ws")

    def __init__(self, n_lines: int):
        self.mode = OUT
        self.buf = b""          # TAG: the tag so far; RAW/COMMENT: the tail that may close it
        self.quote = 0          # TAG: the open attribute quote byte, 0 when none
        self.raw = b""          # RAW: the closing tag looked for, e.g. b"</style"
        self.started = False    # DATA: the node has non-space text
        self.space = False      # DATA: a whitespace run is pending after the text so far
        self.cands = ()         # DATA: (first line, line, byte position) the text so far can be
        self.cursor = (0,) * n_lines  # per line, the first byte not yet used
        self.written = 0        # text bytes written so far (whitespace in text nodes not counted)
        self.body = False       # a <body> tag was seen
        self.last = 0           # the line the last text node ended in
        self.stack = ()         # the open elements' names, outermost first (`app.decode.nesting`)
        self.named = False      # TAG: the tag's name has ended
        self.attr = None        # TAG: the attribute name being written (lower-case), None between attributes
        self.value = 0          # TAG: 1 after an attribute's `=`, 2 inside its unquoted value, 3 after its name
        self.css = (0, 0, 0, 0)  # RAW in <style>: (braces open, bytes, the open string's quote or 0, tokens)
        self.vattr = None       # TAG: the last attribute name written, whose value comes after `=`
        self.vlen = 0           # TAG: bytes of that value so far
        self.vnames = 0         # TAG: words begun in that value (a class list's names)
        self.vprev = 0          # TAG: that value's last byte, 0 at its start
        self.seen = ()          # TAG: the attribute names the tag has
        self.tag = b""          # TAG: the element's name (lower-case), once it has ended
        self.sheet = b""        # RAW in <style>: the stylesheet so far
        self.classes = LANDMARK_CLASSES  # the class names the body may use: the stylesheets' and landmarks'
        self.vword = b""        # TAG: the class name being written in a class list
        self.empty = False      # the innermost open element has no text or element in it yet
        self.opened = frozenset()  # the elements of ONCE the body has opened
        self.ws = 0             # DATA: bytes of the whitespace run so far

    def copy(self) -> "_State":
        s = _State.__new__(_State)
        s.mode, s.buf, s.quote, s.raw = self.mode, self.buf, self.quote, self.raw
        s.started, s.space, s.cands, s.cursor = self.started, self.space, self.cands, self.cursor
        s.written, s.body, s.last = self.written, self.body, self.last
        s.stack, s.named, s.attr, s.value, s.css = self.stack, self.named, self.attr, self.value, self.css
        s.vattr, s.vlen, s.seen = self.vattr, self.vlen, self.seen
        s.vnames, s.vprev = self.vnames, self.vprev
        s.tag, s.sheet, s.classes, s.vword, s.empty = self.tag, self.sheet, self.classes, self.vword, self.empty
        s.opened, s.ws = self.opened, self.ws
        return s


class HtmlTextGrounding:
    """A `TokenConstraint` keeping the text nodes of generated HTML within `lines` (see the module doc).

    token_bytes: each token id's bytes (index = id; None = never allowed); specials: the stop tokens, allowed
    everywhere but inside a text node's words.
    """

    def __init__(self, lines: Sequence[str], token_bytes: Sequence[bytes], specials=(), fill: bool = True,
                 whole: bool = False):
        self.fill = fill
        self.whole = whole
        self.lines = _Lines(lines)
        self.token_bytes = token_bytes
        self.specials = frozenset(specials)
        self.stops = tuple(specials)
        self.state = _State(len(self.lines.text))
        self._left: tuple = (None, True)  # (a cursor, whether a word is left to write at it)
        self._tried: dict[int, _State | None] = {}
        self._may_empty = False  # the fallback found no token to fill a slot that may not be empty (`_unfilled`)

    @classmethod
    def for_tokenizer(cls, lines: Sequence[str], tokenizer, fill: bool = True,
                      whole: bool = False) -> "HtmlTextGrounding":
        stops = [tokenizer.special_tokens[n] for n in ("<|im_end|>", "[EOS]") if n in tokenizer.special_tokens]
        return cls(lines, _token_table(tokenizer), stops, fill=fill, whole=whole)

    # ---- the TokenConstraint protocol ----------------------------------------------------------------
    def allows(self, token_id: int) -> bool:
        if token_id in self.specials:
            return not self._mid_text() and self._closed()
        return self._try(token_id) is not None

    def advance(self, token_id: int) -> None:
        if token_id in self.specials:
            return
        state = self._try(token_id)
        if state is None:
            raise ValueError(f"token {token_id} is not allowed here")
        self.state, self._tried, self._may_empty = state, {}, False

    def _try(self, token_id: int) -> _State | None:
        """The state after `token_id` (None if refused), remembered until the next `advance`: the sampler
        asks `allows` and then advances by the same token, and the fallback re-asks tokens already tried."""
        if token_id not in self._tried:
            data = self.token_bytes[token_id]
            self._tried[token_id] = None if data is None else self._run(data)
        return self._tried[token_id]

    def fallback(self, order: list[int]) -> int | None:
        """None of the model's best tokens is allowed: it wants words the input does not have. Rather than
        the likeliest OCR word it did not think of (which derails what follows), the model's likeliest
        token among those that suit where it stands (only the FALLBACK_SCAN best are looked at):
        - when it would end the reply with elements open, one that closes the innermost element;
        - at the start of a text node, with `fill`, one that begins the first line not yet used (the slot
          the model opened gets the text that comes next in reading order); else (or when no token begins
          that line) one that closes the element (`</`), leaving it empty;
        - in a tag (the refused tokens were `>` and text), one that ends the tag without text;
        - else any allowed token that writes no text; None when there is none (inside a word)."""
        st, quiet = self.state, []
        if order and order[0] in self.specials and not self._mid_text():
            # the model would end the reply with elements open: close the innermost one
            for t in order[:FALLBACK_SCAN]:
                data = self.token_bytes[t]
                if data is not None and data.lstrip().startswith(b"</") and self._try(t) is not None:
                    return t
        fill = self._next_line() if self.fill and st.mode == DATA and not st.started else None
        close = None
        for t in order[:FALLBACK_SCAN]:
            data = self.token_bytes[t]
            if t in self.specials or data is None:
                continue
            if fill is not None:
                body = data.lstrip()
                if body and fill.startswith(body) and self._try(t) is not None:
                    return t
            state = self._try(t)
            if state is None or state.written != st.written:
                continue
            if st.mode == DATA and data.lstrip().startswith(b"</"):
                if fill is None:
                    return t
                close = t if close is None else close
            elif st.mode == TAG and state.mode != TAG and b"<" not in data:
                return t
            else:
                quiet.append(t)
        if fill is not None and self._unfilled(st):
            # a slot that may not be left empty takes the next line from wherever the model ranks its beginning
            for t in order[FALLBACK_SCAN:]:
                data = self.token_bytes[t]
                body = data.lstrip() if data is not None and t not in self.specials else b""
                if body and fill.startswith(body) and self._try(t) is not None:
                    return t
            self._may_empty, self._tried = True, {}  # no token begins it: the slot may stay empty after all
            return self.fallback(order)
        return close if close is not None else quiet[0] if quiet else None

    def dead_end(self) -> int | None:
        """No token at all is allowed (a state these rules should never reach): the reply ends here, its page
        balanced downstream (`app.markup.check.balance`), rather than the conversion failing."""
        return self.stops[0] if self.stops else None

    def _next_line(self) -> bytes | None:
        """What is left of the first OCR line not used up (with `whole`, the first that has a letter or digit,
        `_ahead`), past a first word OCR read from an icon (`_starts`); None when all are used. (The first after
        the last line used scored the same on 40 held-out pages: mean 0.717 against 0.719.)"""
        ahead = self._ahead(self.state.cursor) if self.whole else ()
        for i, t in enumerate(self.lines.text):
            if self.state.cursor[i] < len(t) and (not ahead or i == ahead[-1]):
                return t[self._starts(i, self.state.cursor[i])[-1]:]
        return None

    def feed_text(self, data: bytes) -> bool:
        """Advance by raw bytes (tests, and text the caller wrote itself); False, unchanged, if refused."""
        state = self._run(data)
        if state is None:
            return False
        self.state, self._tried, self._may_empty = state, {}, False
        return True

    def _starts(self, line: int, at: int) -> tuple[int, ...]:
        """Where a text node may start in `line` whose first unused byte is `at`: there, or past a first word
        that has no letter or digit (what OCR reads from an icon, a bullet or a border: "~ Tidewater",
        "| agree", "[ jonas@studio"), which the node then skips."""
        text = self.lines.text[line]
        end = text.find(b" ", at)
        if end < 0 or any(ch >= 0x80 or chr(ch).isalnum() for ch in text[at:end]):
            return (at,)
        return (at, end + 1)

    def _closed(self) -> bool:
        """Every element written is closed: the reply may end here."""
        return not self.state.stack and self.state.mode in (OUT, END, DATA)

    def _mid_text(self) -> bool:
        """Inside a text node's words: a refused word must not end the page there instead."""
        return self.state.mode == DATA and self.state.started

    # ---- the byte machine ---------------------------------------------------------------------------
    def _run(self, data: bytes) -> _State | None:
        s = self.state.copy()
        if s.mode == RAW and s.raw == b"</style":  # a token of a stylesheet
            s.css = s.css[:3] + (s.css[3] + 1,)
        for b in data:
            if not self._step(s, b):
                return None
        return s

    def _step(self, s: _State, b: int) -> bool:
        if b not in SPACE:
            s.ws = 0
        if s.mode == DATA:
            return self._data(s, b)
        if s.mode == TAG:
            return self._tag(s, b)
        if s.mode == END:  # after </html>: the code fence's end, then the reply's
            s.buf += bytes([b])
            return len(s.buf) <= len(TAIL) and (b in SPACE or b == BACKTICK)
        if s.mode == OUT:
            if b == LT:
                s.mode, s.buf, s.quote, s.named, s.attr, s.value, s.seen = TAG, b"", 0, False, None, 0, ()
        elif s.mode == RAW:
            if s.raw == b"</style" and not self._style_byte(s, b):
                return False
            s.buf = (s.buf + bytes([b]))[-len(s.raw):]
            if s.buf.lower() == s.raw:
                if s.raw == b"</style":
                    s.classes, s.sheet = s.classes | defined_classes(s.sheet), b""
                s.mode, s.buf, s.quote, s.named, s.attr, s.value, s.seen = TAG, s.raw[1:], 0, False, None, 0, ()
        elif s.mode == COMMENT:
            s.buf = (s.buf + bytes([b]))[-3:]
            if s.buf == b"-->":
                s.mode = DATA
                s.started, s.space, s.cands = False, False, ()
        return True

    def _tag(self, s: _State, b: int) -> bool:
        if b == LT:
            return False  # markup inside a tag: a lost model's `<h3 class="x</p><div">`
        if s.body and not s.quote and not _written_as_learnt(s.buf, b):
            return False
        if s.quote:
            if b == s.quote:
                s.quote = 0
                return self._class_ends(s)
            return self._value_byte(s, b)
        ends_name = b == GT or b in SPACE or (b == SLASH and s.buf and s.buf[:1] != b"/")
        if not s.named:
            if UPPER_A <= b <= UPPER_Z and s.body:
                return False  # in the body a name is lower-case, as on every page learnt from (`</bODY   >`)
            if s.body and not self._may_open(s, s.buf if ends_name else s.buf + bytes([b]), ends_name):
                return False
            if b == SLASH and not s.buf and s.body and self._unfilled(s):
                return False  # an element pages never leave empty ends only after its text or an element
            if b == SLASH and not s.buf and self.whole and s.stack[-1:] == (b"body",) and self._words_left(s):
                return False  # the sketch's texts are the page's: the body ends once they are written
            if ends_name:
                if not name_fits(s.stack, s.body, s.buf.lower(), complete=True):
                    return False
                s.named, s.tag = True, s.buf.lower()
            elif not name_fits(s.stack, s.body, (s.buf + bytes([b])).lower(), complete=False):
                return False
        elif s.buf[:1] == b"/":
            if b != GT and b not in SPACE:
                return False  # an end tag has no attributes
        elif s.buf[:1] != b"!" and not self._attribute(s, b):
            return False
        if b != GT:
            s.buf += bytes([b])
            if s.buf == b"!--":
                s.mode, s.buf = COMMENT, b""
            return True
        name = s.buf.split(None, 1)[0].rstrip(b"/").lower()
        closing = s.buf.rstrip().endswith(b"/")
        if name.startswith(b"/"):
            s.stack, s.empty = s.stack[:-1], False
        elif not name.startswith(b"!") and name not in VOID:
            if closing:
                return False  # `<div/>` opens a div the browser never closes
            s.stack, s.empty = s.stack + (name,), True
            if name in ONCE and s.body:
                s.opened |= {name}
        elif not name.startswith(b"!"):
            s.empty = False  # a void element is its parent's content
        s.body = s.body or name == b"body"
        if name == b"/html":
            s.mode, s.buf = END, b""
        elif name in RAW_TAGS or (name == b"title" and not s.body):
            s.mode, s.raw, s.buf, s.css = RAW, b"</" + name, b"", (0, 0, 0, 0)
        else:
            s.mode = DATA
            s.started, s.space, s.cands = False, False, ()
        return True

    @staticmethod
    def _style_byte(s: _State, b: int) -> bool:
        """A byte of a stylesheet: `<` outside a string only begins its end tag; past STYLE_BYTES, once no rule
        is open, only its end tag may follow; a third further on, the open rules are closed first."""
        depth, size, quote, tokens = s.css
        if quote:  # a CSS string ends at its quote or, unfinished, at the line's end
            s.css = (depth, size + 1, 0 if b in (quote, 0x0A) else quote, tokens)
            s.sheet += bytes([b])
            return True
        at = s.buf.rfind(b"<")  # the end tag begun so far: its bytes since the last `<`, when they begin it
        begun = len(s.buf) - at if at >= 0 and s.raw.startswith(s.buf[at:].lower()) else 0
        ending = bytes([b]).lower() == s.raw[begun:begun + 1]  # this byte begins or goes on with the end tag
        if (b == LT or begun) and not ending:
            return False  # a lost model's second `<style>` or its body's tags written into the sheet
        limit = size >= STYLE_BYTES * 4 // 3 or tokens > STYLE_TOKENS * 4 // 3
        if limit and depth > 0 and b != RBRACE and b not in SPACE:
            return False
        if (size >= STYLE_BYTES or tokens > STYLE_TOKENS) and depth <= 0 and not (b in SPACE or ending):
            return False
        s.css = (depth + (b == LBRACE) - (b == RBRACE), size + 1, b if b in QUOTES else 0, tokens)
        s.sheet += bytes([b])
        return True

    @staticmethod
    def _attribute(s: _State, b: int) -> bool:
        """A byte of a start tag after its name: attribute names HTML knows (`app.decode.nesting`), values
        quoted (a quote opens one only after `=`, as in the browser's tokenizer) or unquoted."""
        if s.value == 2 or (s.value == 1 and b not in (0x22, 0x27)):
            if b == GT or b in SPACE:  # an unquoted value ends
                s.value = 1 if s.value == 1 and b in SPACE else 0
                return HtmlTextGrounding._class_ends(s)
            s.value = 2
            return b not in b"=`\"'" and HtmlTextGrounding._value_byte(s, b)
        if b == GT or b in SPACE or b == SLASH:
            if s.attr is not None and not HtmlTextGrounding._attribute_ends(s):
                return False
            if s.body and ((s.attr is not None and s.attr not in BOOLEAN_ATTRIBUTES)
                           or (b in SPACE and len(s.seen) >= TAG_ATTRIBUTES)):
                return False  # a valueless name that is no boolean; one attribute too many
            if b in SPACE:  # after `=` a value may still come; after a name, its `=`
                s.value = 1 if s.value == 1 else 3 if s.attr is not None or s.value == 3 else 0
            else:
                s.value = 0
            s.attr = None
            return True
        if b == ord("="):
            if s.value != 3 and (s.attr is None or not HtmlTextGrounding._attribute_ends(s)):
                return False
            s.attr, s.value, s.vlen, s.vnames, s.vprev, s.vword = None, 1, 0, 0, 0, b""
            return True
        if b in (0x22, 0x27):
            if s.value != 1:
                return False
            s.quote, s.value, s.vlen, s.vnames, s.vprev, s.vword = b, 0, 0, 0, 0, b""
            return True
        if UPPER_A <= b <= UPPER_Z and ((s.attr or b"") + bytes([b]))[:5] != b"viewB":
            return False  # names are lower-case (`<br Class reqUired>`); SVG's `viewBox` is written as SVG spells it
        s.value = 0
        name = (s.attr or b"") + bytes([b]).lower()
        if not attribute_fits(s.tag, name, complete=False) or not attribute_unwritten(s.tag, name, s.seen):
            return False
        s.attr = s.vattr = name
        return True

    def _may_open(self, s: _State, name: bytes, complete: bool) -> bool:
        """Whether a tag of the body named `name` so far may be written: an end tag always, an element only
        while a word of the text is still to be written."""
        name = name.lower()
        if not name or name[:1] in (b"/", b"!"):
            return True
        if any(n.startswith(name) for n in s.opened) and (complete or not any(
                n.startswith(name) and n not in s.opened and name_fits(s.stack, True, n, True) for n in BODY_ELEMENTS)):
            return False  # a page's landmark opens once
        return self._words_left(s)

    def _ahead(self, cursor: tuple) -> tuple[int, ...]:
        """With `whole`, the lines a text node may start in: the first not yet used and, when it has no letter
        or digit (`|` or `~`, OCR's reading of an icon or a bullet), the ones after it up to the first that has."""
        out = []
        for i, t in enumerate(self.lines.text):
            if cursor[i] < len(t):
                out.append(i)
                if _ALNUM.search(t, cursor[i]):
                    break
        return tuple(out)

    def _unfilled(self, s: _State) -> bool:
        """The innermost open element is empty and is not one pages leave empty (`MAY_BE_EMPTY`), while a word
        is still to be written: it may not end yet."""
        if not self.fill or self._may_empty:
            return False
        return s.empty and s.stack and s.stack[-1] not in MAY_BE_EMPTY and self._words_left(s)

    def _words_left(self, s: _State) -> bool:
        """Whether a word with a letter or digit is still to be written (kept per cursor: asked per name byte)."""
        if self._left[0] is not s.cursor:
            self._left = (s.cursor, any(c < len(t) and _ALNUM.search(t, c) for c, t in zip(s.cursor, self.lines.text)))
        return self._left[1]

    @staticmethod
    def _attribute_ends(s: _State) -> bool:
        """An attribute's name has ended: one its element takes, and not one the tag has already (the browser
        keeps the first; a lost model wrote `width` three times)."""
        if not attribute_fits(s.tag, s.attr, complete=True) or s.attr in s.seen:
            return False
        s.seen += (s.attr,)
        return True

    @staticmethod
    def _value_byte(s: _State, b: int) -> bool:
        """A byte of an attribute's value: on one line, at most VALUE_BYTES, of the bytes its attribute's kind
        takes (`VALUE_KINDS`), and in a class list at most CLASS_NAMES class names (letters, digits, `-`, `_`)
        in at most CLASS_BYTES (a lost model wrote its page's words, and then CSS, into values, where the OCR
        text does not hold them)."""
        s.vlen += 1
        begins = b not in SPACE and (s.vprev == 0 or s.vprev in SPACE)
        s.vnames, s.vprev = s.vnames + begins, b
        if s.vattr != b"class":
            return value_fits(s.vattr, s.vlen, b, s.body)
        if b not in CLASS_CHARS or s.vlen > CLASS_BYTES or s.vnames > CLASS_NAMES:
            return False
        if b in SPACE:
            return HtmlTextGrounding._class_ends(s)
        s.vword += bytes([b])
        # a name it can finish within CLASS_BYTES: run 10 wrote `class="products products produc` to the
        # limit, where neither the name nor the value could end, and its reply stopped there
        start = s.vlen - len(s.vword)
        return not s.body or any(n.startswith(s.vword) and start + len(n) <= CLASS_BYTES for n in s.classes)

    @staticmethod
    def _class_ends(s: _State) -> bool:
        """A class list's name has ended (at a space or the value's end): in the body, one the stylesheet
        defines or a landmark's (`LANDMARK_CLASSES`)."""
        word, s.vword = s.vword, b""
        return not word or not s.body or s.vattr != b"class" or word in s.classes

    def _data(self, s: _State, b: int) -> bool:
        text = self.lines.text
        if b == FF:
            return False  # whitespace to HTML, but Chromium draws a form feed in text as a box (run 9 wrote 14)
        if b == LT:
            if not s.started and s.stack and CHILDREN.get(s.stack[-1]) == frozenset() and self._unfilled(s):
                return False  # an empty option: no element opens in it, and it may not end before its text
            if s.started:
                ends = [c for c in s.cands
                        if c[2] == len(text[c[1]]) or (not self.whole and text[c[1]][c[2]] == 0x20)]
                if not ends:
                    return False
                used = min(ends, key=lambda c: (c[2] != len(text[c[1]]), c[1]))
                s.cursor, s.last = _commit(s.cursor, used, text), used[1]
            s.mode, s.buf, s.quote, s.named, s.attr, s.value, s.seen = TAG, b"", 0, False, None, 0, ()
            return True
        if b in SPACE:
            s.ws += 1
            if s.ws > WS_RUN and s.body and self.whole:
                return False
            if s.started and self.whole and s.body and (b != 0x20 or s.ws > 1):
                return False  # a sketch model's text: one space between words (run 9 wrote `Owl \nT-Shirt`)
            if s.started and not s.space:
                s.cands = tuple(c for c in s.cands if c[2] == len(text[c[1]]) or text[c[1]][c[2]] == 0x20)
                if not s.cands:
                    return False
                s.space = True
            return True
        if not s.started:
            if s.body and s.stack and s.stack[-1] in NO_TEXT:
                return False  # text in a list or a table, outside its items and cells
            if self.whole:  # the sketch's texts in its order, past those with no letter or digit
                lines = self._ahead(s.cursor)
            else:
                first = next((i for i, c in enumerate(s.cursor) if c < len(text[i])), len(text))
                near = range(max(0, s.last - BACK), min(len(text), s.last + AHEAD + 1))
                lines = (*near, *(() if first in near or first == len(text) else (first,)))
            s.cands = tuple((i, i, p) for i in lines if s.cursor[i] < len(text[i])
                            for p in self._starts(i, s.cursor[i]) if text[i][p] == b)
            s.cands = tuple((i, j, p + 1) for i, j, p in s.cands)
            s.started = bool(s.cands)
            s.empty = s.empty and not s.started
            s.written += 1
            return s.started
        moved = []
        for first, j, p in s.cands:
            if s.space:
                if p < len(text[j]):       # the space inside the line
                    p += 1
                elif j + 1 < len(text) and s.cursor[j + 1] == 0:   # the line goes on in the next one
                    j, p = j + 1, 0
                else:
                    continue
            if p < len(text[j]) and text[j][p] == b:
                moved.append((first, j, p + 1))
        s.space = False
        s.cands = tuple(moved)
        s.written += 1
        return bool(moved)


def _written_as_learnt(buf: bytes, b: int) -> bool:
    """Whether byte `b` (outside a quoted value) may follow `buf`, a body tag so far, as every page learnt from
    writes a tag: `<name attr="value" flag>` and `</name>`, one space before each attribute, values in double
    quotes, nothing else between (no whitespace in an end tag or before `>`, no `=` apart from its name, no
    `/>`). Run 9, lost on a dashboard, spent its tokens on `<br class aria-selected id = news style = newsv1/orders
    dir>` and `</small \n \n >`; none of the 40 held-out pages' 2,918 body tags has any of these."""
    prev = buf[-1:]
    if prev == b"=":
        return b == 0x22
    if prev == b'"':  # a value's closing quote
        return b == 0x20 or b == GT
    if b in SPACE:
        return b == 0x20 and buf[:1] not in (b"", b"/") and prev != b" "
    if b == ord("=") or b in QUOTES:
        return b == ord("=") and prev not in (b"", b" ") and b" " in buf
    if b == GT:
        return prev not in (b"", b" ", b"/")
    return b != SLASH or not buf


def _commit(cursor: tuple, cand: tuple, text) -> tuple:
    """The cursors after a node that used `cand`'s text: lines before its last are used up."""
    first, last, pos = cand
    cur = list(cursor)
    for i in range(first, last):
        cur[i] = len(text[i])
    cur[last] = min(len(text[last]), pos + 1) if pos < len(text[last]) else len(text[last])
    return tuple(cur)


_TABLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _token_table(tokenizer) -> list[bytes]:
    """Every ordinary id's bytes, built once per tokenizer (special slots, named or not, are None)."""
    if tokenizer not in _TABLES:
        n = tokenizer.num_base_tokens
        _TABLES[tokenizer] = [tokenizer.decode_bytes([i]) for i in range(n)] + [None] * (tokenizer.vocab_size - n)
    return _TABLES[tokenizer]
