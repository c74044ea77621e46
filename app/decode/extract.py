"""Code extraction from a model's raw reply: thinking blocks, markdown fences and stray prose removed.

A K2.5-family model may answer with a `<think>…</think>` block (or, when the prompt already opened
`<think>`, with reasoning that ends at the first `</think>`), then prose, then one or more fenced code
blocks. `extract_code` returns the code a user wants for a target; `CodeStream` does the same
incrementally on a token stream so the front ends can show code as it arrives (best effort: the final
`extract_code` on the whole reply is authoritative). Nothing here knows about models or rendering.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.targets.registry import REGISTRY

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

# ```lang or ~~~lang at the start of a line; the language tag is optional.
_FENCE_OPEN = re.compile(r"(?m)^[ \t]*(```+|~~~+)[ \t]*([\w+#.-]*)[^\n]*\n")



def strip_thinking(text: str) -> str:
    """Remove reasoning: every `<think>…</think>` block; an unclosed `<think>` hides the rest; a `</think>`
    with no opener (the prompt ended with `<think>`) hides everything before it."""
    first_close = text.find(THINK_CLOSE)
    first_open = text.find(THINK_OPEN)
    if first_close != -1 and (first_open == -1 or first_close < first_open):
        text = text[first_close + len(THINK_CLOSE):]
    out, pos = [], 0
    while True:
        start = text.find(THINK_OPEN, pos)
        if start == -1:
            out.append(text[pos:])
            break
        out.append(text[pos:start])
        end = text.find(THINK_CLOSE, start)
        if end == -1:
            break
        pos = end + len(THINK_CLOSE)
    return "".join(out)


@dataclass(frozen=True)
class _Fence:
    lang: str
    body: str
    closed: bool


def _fences(text: str) -> list[_Fence]:
    """All fenced blocks in order; an unclosed last fence runs to the end of the text."""
    found, pos = [], 0
    while True:
        m = _FENCE_OPEN.search(text, pos)
        if not m:
            return found
        marker, lang = m.group(1), m.group(2).lower()
        close = re.compile(r"(?m)^[ \t]*" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*$")
        c = close.search(text, m.end())
        if c is None:
            found.append(_Fence(lang, text[m.end():], False))
            return found
        found.append(_Fence(lang, text[m.end():c.start()].rstrip("\n"), True))
        pos = c.end()


def _langs(target: str) -> tuple[str, ...]:
    """The fence languages a reply for `target` may use, best first."""
    return REGISTRY[target].fence_langs if target in REGISTRY else ("",)


def _pick_fence(fences: list[_Fence], target: str) -> _Fence | None:
    langs = _langs(target)
    ranked = [f for f in fences if f.lang in langs]
    if not ranked:
        ranked = fences
    if not ranked:
        return None
    # The longest block of the best-ranked language: models put the page in one block and snippets elsewhere.
    best_rank = min(langs.index(f.lang) if f.lang in langs else len(langs) for f in ranked)
    same = [f for f in ranked if (langs.index(f.lang) if f.lang in langs else len(langs)) == best_rank]
    return max(same, key=lambda f: len(f.body))


def _unfenced(text: str, target: str) -> str:
    kind = REGISTRY.get(target, REGISTRY["html"])
    start = kind.code_start.search(text)
    if start is None:
        # Not recognisably code: return what is there so nothing is silently lost.
        return text.strip()
    code = text[start.start():]
    end_re = kind.code_end
    if end_re is not None:
        ends = list(end_re.finditer(code))
        if ends:
            return code[:ends[-1].end()].strip()
    if kind.markup:
        last = code.rfind(">")
        return code[:last + 1].strip() if last != -1 else code.strip()
    # JS: drop trailing prose paragraphs after the last line that ends a statement or block.
    lines = code.rstrip().split("\n")
    while lines and lines[-1].strip() and not re.search(r"[;})\]>]\s*$", lines[-1]):
        lines.pop()
    return "\n".join(lines).strip()


def extract_each(text: str, target: str = "html") -> list[str]:
    """The code of each reply in `text`, in order, when it holds several fenced replies (a page converted band
    by band: each band's reply); else the one `extract_code` finds."""
    fences = [f for f in _fences(strip_thinking(text)) if f.lang in _langs(target)]
    return [f.body.strip("\n") for f in fences] if len(fences) > 1 else [extract_code(text, target)]


def extract_code(text: str, target: str = "html") -> str:
    """The code in a complete model reply for `target` ("html", "tailwind", "react", "vue")."""
    body = strip_thinking(text)
    fence = _pick_fence(_fences(body), target)
    if fence is not None:
        return fence.body.strip("\n")
    return _unfenced(body, target)


class CodeStream:
    """Incremental extraction: `feed(delta)` returns the new code text to show (possibly "").

    It emits only text that extends what was already emitted, holding back a possible fence line or an
    unfinished `<think>` tag at the end of the buffer, so a consumer can append deltas blindly.
    """

    def __init__(self, target: str = "html", *, starts_in_thinking: bool = False):
        # starts_in_thinking: the prompt ended with `<think>`, so the reply opens inside a reasoning block.
        self.target = target
        self.raw = THINK_OPEN if starts_in_thinking else ""
        self.emitted = ""

    def _partial(self) -> str:
        raw = self.raw
        # Hold back a trailing fragment that may still become a tag or fence marker.
        for tail in (THINK_OPEN, THINK_CLOSE, "```", "~~~"):
            for k in range(len(tail) - 1, 0, -1):
                if raw.endswith(tail[:k]):
                    raw = raw[:-k]
                    break
        body = strip_thinking(raw)
        fences = _fences(body)
        if fences:
            f = _pick_fence(fences, self.target)
            text = f.body
            if not f.closed:
                # The last line may be the start of the closing fence.
                cut = text.rfind("\n")
                text = text[:cut + 1] if cut != -1 else ""
            return text
        if "```" in body or "~~~" in body:
            return ""  # a fence line whose newline has not arrived yet
        start = REGISTRY.get(self.target, REGISTRY["html"]).code_start.search(body)
        return body[start.start():] if start else ""

    def feed(self, delta: str) -> str:
        self.raw += delta
        partial = self._partial()
        if partial.startswith(self.emitted) and len(partial) > len(self.emitted):
            new = partial[len(self.emitted):]
            self.emitted = partial
            return new
        return ""

    def final(self) -> str:
        """The authoritative code of the whole reply (same as `extract_code`)."""
        return extract_code(self.raw, self.target)

