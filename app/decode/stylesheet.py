"""The shape of a generated stylesheet, followed byte by byte: rules `selector { declarations }`, at-rules
(`@media … { rules }`) holding rules, and each top-level selector written once.

A small model given a long prompt loses its way in the stylesheet before the body: run 3 of the layout-sketch
model wrote `.stat{…}` eight times over on our dashboard mockup, with braces opened inside declarations
(`color:#0f172a{text-decoration:none}`), until its token budget ran out with no body written. The corpus it
learnt from writes each selector once (its stylesheet is a map from selector to declarations), so a selector
written again, a brace inside a declaration block and a `}` with nothing open are refused.
`app.decode.grounding` asks `step` for every byte inside `<style>`.
"""
from __future__ import annotations

LBRACE, RBRACE = ord("{"), ord("}")
START = (0, False, b"", frozenset())  # (depth, the open block is an at-rule, selector so far, selectors written)


def step(state: tuple, b: int) -> tuple | None:
    """The state after byte `b`, None if the stylesheet may not go on with it."""
    depth, at_rule, selector, seen = state
    if b == LBRACE:
        if depth == 0:
            key = b" ".join(selector.split())
            if not key or (not key.startswith(b"@") and key in seen):
                return None
            return 1, key.startswith(b"@"), b"", seen | {key}
        if depth == 1 and at_rule:
            return 2, True, b"", seen
        return None  # a brace inside a declaration block
    if b == RBRACE:
        if depth == 0:
            return None
        return depth - 1, at_rule and depth == 2, b"", seen
    if depth == 0:
        return depth, at_rule, selector + bytes([b]), seen
    return state
