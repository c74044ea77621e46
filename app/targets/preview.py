"""A standalone page showing any target's code, with the vendored builds from `assets/vendor/` inlined
(React/ReactDOM 18 UMD + Babel standalone for JSX, Vue 3 global build, Tailwind's browser runtime), so that
nothing is fetched when it renders.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parents[2] / "assets" / "vendor"


def _vendor(name: str) -> str:
    path = VENDOR_DIR / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:  # a broken install, not user input
        raise RuntimeError(f"{path}: vendored front-end build missing ({e.strerror})") from None
    return text.replace("</script", "<\\/script")


def _script(js: str, attrs: str = "") -> str:
    return f"<script{attrs}>{js}</script>"


def tailwind_page(code: str) -> str:
    """A Tailwind page with the browser runtime inlined in place of any script tag that would fetch it."""
    code = re.sub(r"<script\b[^>]*\bsrc=[\"'][^\"']*tailwindcss[^\"']*[\"'][^>]*>\s*</script>", "", code,
                  flags=re.I)
    tag = _script(_vendor("tailwindcss-browser.js"))
    m = re.search(r"<head\b[^>]*>", code, re.I)
    return code[:m.end()] + tag + code[m.end():] if m else tag + code


def react_page(code: str) -> str:
    """A page that mounts the JSX file's default export on `<body>`, compiled in the page by Babel."""
    src = re.sub(r"^\s*import\s+[^;]*;?\s*$", "", code, flags=re.M)
    src = re.sub(r"export\s+default\s+function\s+(\w+)", r"function \1", src)
    # The default export is the page; the other functions are the components of its repeated groups.
    m = re.search(r"export\s+default\s+function\s+(\w+)", code) or re.search(r"function\s+([A-Z]\w*)\s*\(", src)
    comp = m.group(1) if m else "App"
    src = src.replace("</script", "<\\/script")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            + _script(_vendor("react.production.min.js")) + _script(_vendor("react-dom.production.min.js"))
            + _script(_vendor("babel.min.js"))
            # Mounted on <body> itself so body-level CSS (flex bodies, `body > x`) applies as in the page.
            # One function scope: top-level `const`s must not clash when a renderer reuses its page.
            + _script(f"(() => {{\n{src}\nconst root = ReactDOM.createRoot(document.body);\n"
                      # flushSync: the page is complete when the load event fires (screenshots wait for it).
                      f"ReactDOM.flushSync(() => root.render(React.createElement({comp})));\n}})();",
                      ' type="text/babel" data-presets="react"')
            + "</head><body></body></html>")


def vue_page(code: str) -> str:
    """A page that mounts the single-file component on `<body>`, its template compiled in the page by Vue."""
    tpl = re.search(r"<template>(.*)</template>", code, re.S)
    style = "".join(m.group(1) for m in re.finditer(r"<style\b[^>]*>(.*?)</style>", code, re.S))
    script = re.search(r"<script\b[^>]*>(.*?)</script>", code, re.S)
    options = "{}"
    if script:
        body = script.group(1).strip()
        mm = re.search(r"export\s+default\s*(\{.*\})\s*;?\s*$", body, re.S)
        options = mm.group(1) if mm else "{}"
    template = tpl.group(1) if tpl else ""
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>" + style + "</style>"
            + _script(_vendor("vue.global.prod.js")) + "</head><body>"
            + _script("(() => {\nconst options = " + options.replace("</script", "<\\/script") + ";\n"
                      + "options.template = " + json.dumps(template).replace("</", "<\\/") + ";\n"
                      + "Vue.createApp(options).mount(document.body);\n})();")
            + "</body></html>")
