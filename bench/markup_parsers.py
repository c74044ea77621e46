"""Our HTML and CSS parsing (`app.markup`) against well-kept libraries, judged by the browser that renders the
page: which one to keep.

    .venv/bin/pip install html5lib tinycss2     # the peers (`pip install .[bench]`); not needed to run uicode
    .venv/bin/python bench/markup_parsers.py [--pages 120] [--seed 0] [--no-append]

HTML. `app.markup.check.balance` repairs HTML whose tags do not nest (a small model stops mid-page or closes
the wrong element) before it is handed over. The page a user gets should mean what Chromium would have built
from the broken text, so each repair is rendered and its DOM (element tags and text, in tree order) compared
with the DOM Chromium builds from the broken page itself. Broken pages: held-out corpus pages, generated from
their seeds (`train.corpus.generator`), with the faults the model makes — cut off at a
random point, a closing tag dropped, a closing tag for another element, a stray closing tag — one or two per
page. Candidates: ours (html.parser tree, `app.markup.parse`), html5lib (the WHATWG algorithm in Python),
selectolax (Lexbor, the WHATWG algorithm in C). Reported: the share of pages whose repair Chromium reads as it
reads the broken page, the share that pass our well-formedness check, and the time of one repair.

CSS. `app.markup.parse.parse_css` splits the page's stylesheet into rules for the Tailwind conversion; tinycss2
(CSS Syntax Level 3, Kozea) is the peer. Chromium's CSSOM cannot judge them: it rewrites selectors (`:before`
→ `::before`, `2n+1`, quotes) and drops the rules it does not support, which a converter must keep. So the two
are compared with each other, rule by rule (each style rule's @media and selectors, in order, spacing
normalised), on the corpus pages' stylesheets and on the 40 real pages' (`../shared/realpages`, real sites'
CSS); the sheets where they differ are printed to be read. Reported: the share of sheets both read alike, and
the time of one parse.

Appends a dated table to bench/RESULTS.md unless --no-append.
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.alternate import ROOT, machine_and_date  # noqa: E402

DOM_JS = r"""() => {
  const out = [];
  const walk = (node, depth) => {
    for (const c of node.childNodes) {
      if (c.nodeType === 1) { out.push(depth + ':' + c.tagName.toLowerCase()); walk(c, depth + 1); }
      else if (c.nodeType === 3) { const t = c.textContent.replace(/\s+/g, ' ').trim(); if (t) out.push(depth + ':#' + t); }
    }
  };
  walk(document.documentElement, 0);
  return out;
}"""


CLOSE = re.compile(r"</([a-z][a-z0-9]*)\s*>")


def pages(n: int) -> list[str]:
    """The first `n` held-out corpus pages, generated from their seeds."""
    from train.corpus.generator import generate_page, split_seeds

    return [generate_page(seed).html for seed in split_seeds("heldout", 0, n)]


def break_page(html: str, rng: random.Random) -> str:
    """One or two of the faults a small model makes, at random places."""
    for _ in range(rng.choice((1, 1, 2))):
        closes = list(CLOSE.finditer(html))
        fault = rng.choice(("cut", "drop", "swap", "stray"))
        if fault == "cut" or not closes:
            html = html[:rng.randrange(len(html) // 3, len(html))]
            continue
        m = rng.choice(closes)
        if fault == "drop":
            html = html[:m.start()] + html[m.end():]
        elif fault == "swap":
            other = rng.choice(("div", "p", "section", "span", "li", "a"))
            html = html[:m.start()] + f"</{other}>" + html[m.end():]
        else:
            html = html[:m.end()] + f"</{rng.choice(('div', 'p', 'ul', 'section'))}>" + html[m.end():]
    return html


def real_sheets() -> list[str]:
    """The `<style>` blocks of each real page, joined (real sites' CSS)."""
    folder = ROOT.parent / "shared" / "realpages"
    out = []
    for path in sorted(folder.glob("*.html")):
        css = "\n".join(re.findall(r"<style[^>]*>(.*?)</style\s*>", path.read_text(encoding="utf-8", errors="replace"),
                                   re.S | re.I))
        if css.strip():
            out.append(css)
    return out


def ours(html: str) -> str:
    from app.markup.parse import parse_html, serialize

    return serialize(parse_html(html))


def html5lib_repair(html: str) -> str:
    import html5lib

    doc = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    return "<!DOCTYPE html>" + html5lib.serialize(doc, tree="etree", omit_optional_tags=False,
                                                  quote_attr_values="always", minimize_boolean_attributes=False)


def selectolax_repair(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    return "<!DOCTYPE html>" + LexborHTMLParser(html).html.removeprefix("<!DOCTYPE html>")


def css_ours(css: str) -> list[str]:
    from app.markup.parse import parse_css

    out = []
    for r in parse_css(css):
        if r.raw is not None:
            continue
        media = (r.media or "").strip()
        media = media[len("@media"):].strip() if media.lower().startswith("@media") else media
        out.append(f"{media}|{r.selector}")
    return out


def css_tinycss2(css: str) -> list[str]:
    import tinycss2

    def walk(rules, media) -> list[str]:
        out = []
        for r in rules:
            if r.type == "qualified-rule":
                out.append(f"{media}|{tinycss2.serialize(r.prelude)}")
            elif r.type == "at-rule" and r.lower_at_keyword == "media" and r.content is not None:
                inner = tinycss2.parse_rule_list(r.content, skip_whitespace=True, skip_comments=True)
                out += walk(inner, tinycss2.serialize(r.prelude))
        return out

    return walk(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True), "")


def _norm(rule: str) -> str:
    """A rule's media|selector as Chromium writes it: one space between parts, `, ` between selectors,
    media features without extra spaces."""
    media, _, sel = rule.partition("|")
    sel = sel.replace("/**/", "").replace("'", '"')  # tinycss2's token separator; either quote means the same
    sel = re.sub(r"\s*([>+~,])\s*", r" \1 ", " ".join(sel.split())).replace(" , ", ", ")
    media = re.sub(r"\s*([():])\s*", r"\1", " ".join(media.split())).replace(":", ": ")
    return media.lower() + "|" + sel


def timed(fn, arg) -> tuple[object, float]:
    t0 = time.perf_counter()
    out = fn(arg)
    return out, time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=120)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args(argv)

    from app.markup.check import is_well_formed
    from app.markup.parse import split_page
    from app.scoring.render import Renderer

    rng = random.Random(args.seed)
    sources = pages(args.pages)
    broken = [break_page(h, rng) for h in sources]
    repairs = {"ours (app.markup)": ours, "html5lib 1.1": html5lib_repair, "selectolax 1.0.2 (Lexbor)": selectolax_repair}
    same = {k: 0 for k in repairs}
    formed = {k: 0 for k in repairs}
    seconds = {k: [] for k in repairs}
    css_seconds = {"ours (app.markup)": [], "tinycss2 1.5.1": []}
    css_alike = 0
    with Renderer() as r:
        def dom(html: str) -> list[str]:
            r.render(html, width=1024, height=700, full_page=False, blocks=False)
            return r.probe(DOM_JS)

        for page, bad in zip(sources, broken):
            want = dom(bad)
            for name, fn in repairs.items():
                fixed, s = timed(fn, bad)
                seconds[name].append(s)
                same[name] += dom(fixed) == want
                formed[name] += is_well_formed(fixed)
    sheets = [split_page(page).css for page in sources] + real_sheets()
    for k, css in enumerate(sheets):
        got = {}
        for name, fn in (("ours (app.markup)", css_ours), ("tinycss2 1.5.1", css_tinycss2)):
            rules, s = timed(fn, css)
            css_seconds[name].append(s)
            got[name] = [_norm(x) for x in rules]
        alike = got["ours (app.markup)"] == got["tinycss2 1.5.1"]
        css_alike += alike
        if not alike:
            print(f"sheet {k}: ours {len(got['ours (app.markup)'])} rules, tinycss2 {len(got['tinycss2 1.5.1'])}",
                  file=sys.stderr)
    n, m = len(sources), len(css_seconds["ours (app.markup)"])
    lines = [f"\n## HTML and CSS parsing: ours against libraries, judged by Chromium ({machine_and_date()})\n",
             f"`bench/markup_parsers.py --pages {n} --seed {args.seed}`: {n} held-out corpus pages, each broken "
             "with one or two of a small model's faults (cut off, a closing tag dropped, swapped or stray).\n",
             "| repair of broken HTML | DOM as Chromium builds it from the broken page | passes our well-formedness "
             "check | median ms a page |", "|---|---|---|---|"]
    for name in repairs:
        lines.append(f"| {name} | {same[name]}/{n} ({100 * same[name] / n:.0f}%) | {formed[name]}/{n} | "
                     f"{1000 * statistics.median(seconds[name]):.2f} |")
    lines += ["", f"Stylesheets: the {n} corpus pages' and the real pages' ({m - n}); both parsers read "
              f"{css_alike}/{m} alike (rules, @media, selectors).", "",
              "| stylesheet parsing | median ms a sheet |", "|---|---|"]
    for name, secs in css_seconds.items():
        lines.append(f"| {name} | {1000 * statistics.median(secs):.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_append:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
