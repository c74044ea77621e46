"""The targets a conversion can hand over, each described once: what the CLI, the GUI, the prompt, the code
extraction and the preview need to know of it.

`TARGETS` names them in menu order; `REGISTRY[name]` is a `Target`. `transform(html, target)` converts the
model's HTML page to a target's code (the mini model writes HTML only; the conversions keep the rendering
identical: `app.targets.react`, `.vue`, `.tailwind`), `preview_html(code, target)` gives a standalone page that
shows a target's code offline (`app.targets.preview`).

The system prompts are the model's input: the embedded mini model was trained on the HTML one, word for word,
so a change to it is a change of the model's input distribution. Keep them stable.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from app.targets import preview, react, tailwind, vue


@dataclass(frozen=True)
class Target:
    """name: the CLI's and the API's word; label: the GUI's; extension: of a saved file; language: of the
    fence the prompt asks for and of the editor's highlighting; fence_langs: the tags a reply's fence may
    carry, best first; code_start / code_end: where unfenced code in a reply starts and ends (code_end None:
    at the last line that ends a statement); markup: the code ends at its last tag; system_prompt: the
    instruction the model gets; from_html: the model's HTML page as this target's code; preview: a standalone
    page showing this target's code."""

    name: str
    label: str
    extension: str
    language: str
    fence_langs: tuple[str, ...]
    code_start: re.Pattern
    code_end: re.Pattern | None
    markup: bool
    system_prompt: str
    from_html: Callable[[str], str]
    preview: Callable[[str], str]


def _same(code: str) -> str:
    return code


_PAGE_START = r"<!doctype html|<html\b|<head\b|<body\b|"
_PAGE_END = re.compile(r"</html\s*>", re.I)
_TASK_END = " Match the layout, text, colours, font sizes and spacing exactly. Reply with the code only, in one "

REGISTRY: dict[str, Target] = {t.name: t for t in (
    Target("html", "HTML", ".html", "html", ("html", "htm", "xhtml", ""),
           re.compile(_PAGE_START + r"<style\b|<(?:div|main|header|nav|section)\b", re.I), _PAGE_END, True,
           "You are an expert front-end developer. Turn the screenshot into one self-contained HTML file: "
           "semantic tags, all CSS in a single <style> block in the head, no JavaScript, no external resources."
           + _TASK_END + "```html block.",
           _same, _same),
    Target("tailwind", "Tailwind", ".html", "html", ("html", "htm", ""),
           re.compile(_PAGE_START + r"<(?:div|main|header|nav|section)\b", re.I), _PAGE_END, True,
           "You are an expert front-end developer. Turn the screenshot into one self-contained HTML file styled "
           "only with Tailwind CSS v4 utility classes (arbitrary values like p-[18px] or bg-[#1e293b] are fine); "
           "the page loads Tailwind itself, so add no <script> or <link> for it and no <style> block."
           + _TASK_END + "```html block.",
           tailwind.html_to_tailwind, preview.tailwind_page),
    Target("react", "React", ".jsx", "jsx", ("jsx", "tsx", "javascript", "js", "typescript", "ts", "react", ""),
           re.compile(r"(?m)^(?:import\b|export\b|function\b|const\b)"), None, False,
           "You are an expert front-end developer. Turn the screenshot into one React function component in a "
           "single JSX file: `export default function App()` returning the page, its CSS in a `css` string "
           "rendered with <style>{css}</style>, no imports other than React and no external resources."
           + _TASK_END + "```jsx block.",
           react.html_to_react, preview.react_page),
    Target("vue", "Vue", ".vue", "vue", ("vue", "html", ""),
           re.compile(r"<template\b", re.I), re.compile(r"</(?:template|script|style)\s*>", re.I), True,
           "You are an expert front-end developer. Turn the screenshot into one Vue 3 single-file component: a "
           "<template> with the page, a <script> exporting the component, and a <style> block with all CSS; "
           "no external resources. Match the layout, text, colours, font sizes and spacing exactly. Reply with "
           "the code only, in one ```vue block.",
           vue.html_to_vue, preview.vue_page),
)}
TARGETS: tuple[str, ...] = tuple(REGISTRY)


def target(name: str) -> Target:
    """The target called `name`; a ValueError naming the choices for any other word."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}") from None


def transform(html: str, name: str) -> str:
    """The model's HTML page as `name`'s code ("html" returns it unchanged)."""
    return target(name).from_html(html)


def preview_html(code: str, name: str) -> str:
    """A standalone page showing `code` of target `name`, every library inlined (renders without network)."""
    return target(name).preview(code)
