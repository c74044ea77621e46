"""Text grounding (app.decode.grounding) and constrained decoding (model.generate.constrain).

The byte machine is checked on hand-written HTML: attributes, styles, titles and comments in the head are free;
body text must be a run of the OCR lines' words, each used once. Generation is checked with a stand-in model
that prefers a memorised phrase: without the constraint it writes the phrase, with it the visible text
(read back by Python's own html.parser, not by our code) holds only OCR words.
"""
import json
from html.parser import HTMLParser

import pytest
import torch

from app.decode.grounding import HtmlTextGrounding
from model.generate import SamplingParams, constrain, generate_text
from model.tokenizer import Tokenizer, k25_tokenizer_config, write_tiktoken_model

CLASSES = b".byline, .card, .is-open, .grid_2, .icon, .x, .y, .z, .cost, .teams, .min, .read, ." + b"a" * 24 + b", ." + b"a" * 25
HEAD = b"```html\n<!DOCTYPE html>\n<html><head><style>p { color: #123; } " + CLASSES + b" { margin: 0 }</style></head><body>\n"


def machine(*lines):
    return HtmlTextGrounding(lines, [bytes([i]) for i in range(256)])


def test_page_with_the_ocr_text_is_accepted_and_free_parts_are_free():
    g = machine("Hello world", "Get started")
    page = b"```html\n<!DOCTYPE html>\n<html><head><!-- a comment: Whatever --><style>p { color: #123; }</style>" \
           b'</head><body>\n  <p title="a > b">Hello world</p>\n  <a href="#">Get started</a>\n</body></html>\n```\n'
    assert g.feed_text(page)
    assert not g.feed_text(b"```html\n<p>")     # after the page, the reply ends


def test_text_not_in_the_ocr_is_refused_and_the_state_is_kept():
    g = machine("Hiring made human")
    assert g.feed_text(HEAD + b"<h1>")
    assert not g.feed_text(b"Fast")
    assert not g.feed_text(b"Hiring made hu</h1>")      # a node cannot end inside a word
    assert g.feed_text(b"Hiring made human</h1>")      # the refused tries left nothing behind


def test_text_is_used_once_but_repeated_lines_repeat():
    g = machine("Save", "Plans", "Save")
    assert g.feed_text(HEAD + b"<b>Save</b><b>Save</b>")
    assert not g.feed_text(b"<b>Save")
    assert g.feed_text(b"<b>Plans</b>")


def test_a_merged_ocr_line_can_be_split_into_elements_in_its_order():
    g = machine("Home About Pricing Blog")
    assert g.feed_text(HEAD + b"<nav><a>Home</a> <a>About</a>\n")
    assert not g.feed_text(b"<a>Blog")   # a node starts where the line's unused words start: no skipping
    assert not g.feed_text(b"<a>About")  # used
    assert g.feed_text(b"<a>Pricing</a><a>Blog</a>")


def test_a_sketchs_text_is_written_whole():
    # the sketch's texts are its elements' (a nav's links already apart): a node copies whole texts, so the
    # model cannot scatter one heading over several elements ("The quiet" / "& LAND return of the")
    g = HtmlTextGrounding(["The quiet return of the kitchen garden", "Food Land"], [bytes([i]) for i in range(256)],
                          whole=True)
    assert g.feed_text(HEAD + b"<h1>The quiet")
    assert not g.feed_text(b"</h1>")
    assert g.feed_text(b" return of the kitchen garden</h1><nav>")
    assert not g.feed_text(b"<a>Food</a>")
    assert g.feed_text(b"<a>Food Land</a>")


def test_a_sketchs_texts_are_written_in_its_order():
    g = HtmlTextGrounding(["Fieldnotes", "Food", "Land"], [bytes([i]) for i in range(256)], whole=True)
    assert g.feed_text(HEAD + b"<h1>Fieldnotes</h1>")
    assert not g.feed_text(b"<a>Land")     # the near-line window would take it: the sketch's order does not
    assert g.feed_text(b"<a>Food</a><a>Land</a>")
    g = machine("Fieldnotes", "Food", "Land")
    assert g.feed_text(HEAD + b"<h1>Fieldnotes</h1><a>Land</a>")
    g = HtmlTextGrounding(["Fieldnotes", "| ~", "Food"], [bytes([i]) for i in range(256)], whole=True)
    assert g.feed_text(HEAD + b"<h1>Fieldnotes</h1><a>Food</a>")  # past what OCR read from an icon


def test_a_sketch_models_body_ends_once_its_texts_are_written():
    g = HtmlTextGrounding(["Fieldnotes", "Food"], [bytes([i]) for i in range(256)], whole=True)
    assert g.feed_text(HEAD + b"<h1>Fieldnotes</h1>")
    assert not g.feed_text(b"</")            # run 9 closed a settings page after its first heading
    assert g.feed_text(b"<p>Food</p></body></html>")
    g = machine("Fieldnotes", "Food")        # OCR lines: a lost model may leave some
    assert g.feed_text(HEAD + b"<h1>Fieldnotes</h1></body></html>")


def test_a_sketch_models_whitespace_runs_are_short():
    g = HtmlTextGrounding(["A kitchen garden"], [bytes([i]) for i in range(256)], whole=True)
    assert g.feed_text(HEAD + b"<p>\nA kitchen")
    assert not g.feed_text(b"   ")           # a model denied its `<` floods the text with whitespace
    assert not g.feed_text(b"  ")
    assert not g.feed_text(b"\n")            # inside its text one space (run 9 wrote `Owl \nT-Shirt`, a token a gap)
    assert g.feed_text(b" garden</p>\n")


def test_a_form_feed_is_not_written_in_text():
    g = machine("Food Land")
    assert g.feed_text(HEAD + b"<p>")
    assert not g.feed_text(b"\f")          # Chromium draws it as a box
    assert g.feed_text(b"\n Food\tLand</p>")


def test_a_paragraph_goes_on_into_the_next_line_with_any_whitespace():
    g = machine("A paragraph that wraps", "onto a second line.")
    assert g.feed_text(HEAD + b"<p>\n    A paragraph that\n      wraps onto a second line.\n</p>")
    g = machine("First", "Second")
    assert g.feed_text(HEAD + b"<p>Second")
    assert not g.feed_text(b" First")  # only forward, into a line not yet used


def test_a_text_node_starts_near_the_last_line_used_or_at_the_first_unused():
    lines = [f"Line {k}" for k in range(12)]
    g = machine(*lines)
    assert g.feed_text(HEAD + b"<p>Line 0</p>")
    assert not g.feed_text(b"<p>Line 9")       # too far ahead of line 0 in reading order
    assert g.feed_text(b"<p>Line 4</p><p>Line 8</p><p>Line 11</p>")
    assert g.feed_text(b"<p>Line 1</p>")       # the first line not used is always reachable
    assert not g.feed_text(b"<p>Line 0")       # used


def test_the_pages_frame_comes_in_order():
    g = machine("Hello")
    assert g.feed_text(b"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>T</title>")
    for wrong in (b"<html>", b"<head>", b"<body>", b"<div>", b"</html>"):
        assert not g.feed_text(wrong)      # a second <html> in the head, closed, left a reply that could not end
    assert g.feed_text(b"</head>")
    assert not g.feed_text(b"<p>")        # content before the body
    assert not g.feed_text(b"</html>")    # a page closed after its head: a blank page handed over
    assert g.feed_text(b"<body><p>Hello</p></body></html>")


def test_a_constraint_with_no_token_left_ends_the_reply(tok):
    g = HtmlTextGrounding.for_tokenizer(["Hello"], tok)
    assert g.dead_end() == tok.im_end_id


def test_the_page_is_not_restarted_inside_the_body():
    g = machine("Hello")
    assert g.feed_text(HEAD + b"<p>Hello</p>")
    for tag in (b"<!DOCTYPE html>", b"<html>", b"<head>", b"<body class='x'>"):
        assert not g.feed_text(tag)
    assert g.feed_text(b"</body></html>")


def test_a_node_may_skip_what_ocr_read_from_an_icon():
    g = machine("~ Tidewater", "| agree to the terms", "Sign in")
    assert g.feed_text(HEAD + b"<b>Tidewater</b><label>agree to the terms</label>")
    assert not machine("Oo Please fix").feed_text(HEAD + b"<p>Please")  # a word with letters is kept
    assert machine("~ Tidewater").feed_text(HEAD + b"<p>~ Tidewater</p>")


def test_html_escaping_of_the_ocr_text():
    g = machine("Tom & Jerry <3")
    assert not machine("Tom & Jerry <3").feed_text(HEAD + b"<p>Tom & ")
    assert g.feed_text(HEAD + b"<p>Tom &amp; Jerry &lt;3</p>")


def test_a_quote_opens_a_value_only_after_an_equals_sign():
    g = machine("Open API", "More")
    assert not g.feed_text(HEAD + b'<span class=icon"x>')     # the browser would read `icon"x` as the value
    assert not g.feed_text(HEAD + b'<span "class">')
    assert g.feed_text(HEAD + b'<span title="a > b" data-id="7" hidden><a href="/docs">')
    assert not g.feed_text(b"Why teams")
    assert g.feed_text(b"Open API</a></span>")


def test_attribute_names_are_htmls():
    g = machine("18 May 2025")
    assert g.feed_text(HEAD + b'<p class="byline" aria-label="date" data-kind="x"><svg viewBox="0 0 24 24">')
    assert not g.feed_text(b"<s in half")                    # the text a lost model wrote in a tag
    assert not g.feed_text(b"</svg class>")                   # an end tag has no attributes
    assert not g.feed_text(b"<path data-sh1px2004ade80onotebott")  # a free name of at most FREE_NAME_BYTES (run 9:
                                                              # 2,000 bytes of it on a phone's page)
    assert g.feed_text(b'<path data-sh1px2004ade80onot="1"></path></svg>18 May 2025</p>')


def test_an_attribute_value_is_short_and_a_class_list_holds_class_names_only():
    g = machine("Open API", "More")
    viewport = b'<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1">'
    assert g.feed_text(b"```html\n<!DOCTYPE html>\n<html><head>" + viewport)  # the head's text values: VALUE_BYTES
    g = machine("Open API", "More")
    assert g.feed_text(HEAD + b'<p class="card is-open grid_2" title="Any: words, here.">')
    assert not g.feed_text(b'<p class="down you can add,')   # run 4's words, then CSS, in a class value
    assert not g.feed_text(b"<p class=a;b>")                  # unquoted as quoted
    assert not g.feed_text(b'<p class="' + b"a" * 25)         # past CLASS_BYTES (a name the sheet defines)
    assert not g.feed_text(b'<p class="cost teams min read')  # past CLASS_NAMES (run 6's denied words, here
                                                              # names the sheet defines)
    assert not g.feed_text(b'<p title="two\nlines">')            # any value: one line,
    assert not g.feed_text(b'<p style="' + b"a" * 121)        # of at most VALUE_BYTES,
    assert not g.feed_text(b'<p title="' + b"a" * 41)         # a text of at most TEXT_BYTES (run 9's junk on
                                                              # real pages: 120 bytes of words and CSS a value)
    assert g.feed_text(b'<p class="' + b"a" * 24 + b'" title="' + b"a b, " * 8 + b'" style="' + b"top:0;" * 20
                       + b'">Open API</p>')
    assert g.feed_text(b'<p class=" x  y z ">')                # spaces around names are not names
    assert not g.feed_text(b'<p class="products products produc')  # a name that could not end within CLASS_BYTES
    assert g.feed_text(b'<p class="products products">')          # (run 10's reply stopped there, unbalanced)


def test_names_are_lower_case_and_an_attribute_comes_once():
    g = machine("Open API", "More")
    assert g.feed_text(b"```html\n<!DOCTYPE html>\n<html><head></head><body>")  # a declaration as written
    assert not g.feed_text(b"<Div>")                            # run 6's `</bODY   >`
    assert not g.feed_text(b"<br Class>")                       # and `<br Class reqUired>`
    assert not g.feed_text(b'<p class="a" title="b" class="c">')
    assert not g.feed_text(b"<input required required>")
    assert not g.feed_text(b"<header hidden hid")               # refused as it begins: no dead end at its end
    assert g.feed_text(b'<header hidden title="1" data-a="1">More</header>')
    assert g.feed_text(b'<svg viewBox="0 0 24 24"></svg><svg viewbox="0 0 9 9"></svg><input required>')
    assert not g.feed_text(b'<svg viewBoX="0">')
    assert g.feed_text(b"<p>Open API</p>")


def test_an_attribute_is_one_its_element_takes():
    g = machine("Open API", "More")
    assert g.feed_text(HEAD + b'<a href="#" target="_blank" class="x" role="link"><span data-id="3" aria-label="y"></span>')
    for lost in (b"<header points", b"<header sizes", b"<div required", b"<span colspan", b"<p href", b"<a src",
                 b"<a aria-3", b"<a aria-stylenav"):
        assert not g.feed_text(lost)          # run 9's `<header points="" sizes="" name="" required="">`
    assert g.feed_text(b'<img src="a.png" alt="" width="20"><input type="checkbox" checked></a>')
    assert g.feed_text(b'<svg viewBox="0 0 9 9" fill="none"><circle cx="4" cy="4" r="2"></circle></svg>')
    assert g.feed_text(b'<table><tr><td colspan="2">Open API</td></tr></table>')


def test_an_attribute_value_is_of_its_attributes_kind():
    g = machine("Open API", "More")
    assert g.feed_text(HEAD + b'<table><tr><td colspan="2" style="color: red; width: 50%" title="Any: words.">')
    for lost in (b'<td colspan="mor lo', b'<td role="&gt;#272', b'<td style="a{', b'<td rowspan="123', b'<td colspan="1-',
                 b'<textarea rows="121806',
                 b'<a href="mor lo', b'<a target="_blank;', b'<svg viewBox="0 0 5 team', b'<svg><path d="M0 0 new'):
        assert not g.feed_text(lost)          # run 9's `colspan="mor lo), 10/loads 2025 · 3 min read.foot{…`
                                              # and `rows="121806-6-2-2"`, a box 1.8 million pixels tall
    assert g.feed_text(b'<a href="/docs?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">Open API</a>')
    assert g.feed_text(b'<svg viewBox="0 0 24 24"><path d="M3 4h2l3 11h10l3-8H7M9 20h1" transform="rotate(45)">')


def test_svg_shapes_open_only_in_an_svg_and_only_they_open_there():
    g = machine("Open API", "More")
    assert g.feed_text(HEAD + b"<footer>")
    for lost in (b"<path", b"<circle", b"<g>", b"<rect"):
        assert not g.feed_text(lost)          # run 9's `<footer class="foot"><path></path></footer>`, 23 times
    assert g.feed_text(b'<svg><g><path d="M0 0"></path></g>')
    assert not g.feed_text(b"<p>") and not g.feed_text(b"<div")  # an element of the page inside a drawing
    assert g.feed_text(b"</svg><p>Open API</p></footer>")


def test_a_class_name_in_the_body_is_one_the_stylesheet_defines():
    g = machine("Open API", "More")
    sheet = b"<style>.card{padding:1.5em} @media (max-width: 40.5em) { .grid.cols-3 > a { width: 0.5rem } }</style>"
    assert g.feed_text(b"```html\n<!DOCTYPE html>\n<html><head>" + sheet + b"</head><body>")
    assert g.feed_text(b'<div class="card grid cols-3"><section class="pricing">')   # and a section's landmark
    for lost in (b'<p class="teamses0', b'<p class="cards2"', b'<p class="card cost', b'<p class="em"',
                 b'<p class="5em"', b"<p class=car>"):
        assert not g.feed_text(lost)          # run 9's `class="cost teamses0 minuds172a"`; `.5em` is no class
    assert g.feed_text(b'<p class="card">Open API</p></section></div>')


def test_an_element_pages_never_leave_empty_ends_only_after_its_content():
    g = machine("Open API", "More")
    assert g.feed_text(HEAD + b"<main><h2>")
    assert not g.feed_text(b"</h2>")          # run 9's `<h2></h2><p></p><a href="#"></a>`
    assert g.feed_text(b"Open API</h2><div></div><ul><li><svg></svg></li>")   # a box, an icon: content enough
    assert not g.feed_text(b"<p></p>")
    assert g.feed_text(b"</ul><p>More</p></main>")


def test_a_pages_landmarks_open_once():
    g = machine("Open API", "More", "Docs", "Home")
    assert g.feed_text(HEAD + b"<header>Open API</header><main><h2>More</h2>")
    for lost in (b"<header", b"<hea", b"<main>", b"<mai"):
        assert not g.feed_text(lost)          # run 9's `<footer class="foot">…`, each inside the last, 23 times
    assert g.feed_text(b"<footer>Docs</footer><h3>")            # `<h…` still opens a heading
    assert not g.feed_text(b"<footer")
    assert g.feed_text(b"Home</h3></main>")


def test_lists_tables_and_selects_hold_only_their_own_children():
    g = machine("Zara Brown", "Refunded", "Home")
    assert g.feed_text(HEAD + b"<table><tbody><tr>")
    assert not g.feed_text(b"Zara")                 # text in a row, outside its cells
    assert not g.feed_text(b"<div>")
    assert g.feed_text(b"<td>Zara Brown<select>")
    assert not g.feed_text(b"<section>")            # run 9: a section, a form and a list in a select
    assert g.feed_text(b"<option>")
    assert not g.feed_text(b"<b>")                   # an option holds text only
    assert g.feed_text(b"Refunded</option></select></td></tr></tbody></table><ul>")
    assert not g.feed_text(b"<a>")
    assert g.feed_text(b"<li><a>Home</a></li></ul>")


def test_items_rows_cells_and_options_open_only_in_their_own_parents():
    g = machine("Home", "Zara")
    assert g.feed_text(HEAD + b"<nav>")
    for stray in (b"<li>", b"<tr>", b"<td>", b"<option>", b"<col>", b"<track>", b"<figcaption>", b"<dd>"):
        assert not g.feed_text(stray)   # run 9's `<nav><li>` and a cell's `<col>`, `<track>`
    assert g.feed_text(b"<ul><li>Home</li></ul></nav><figure><figcaption>Zara</figcaption></figure>")


def test_an_empty_option_gets_its_text():
    g = machine("Paid", "Refunded")
    assert g.feed_text(HEAD + b"<select><option>")
    assert not g.feed_text(b"<")    # neither an element nor its end: a dead end that stopped run 9's docs page
    assert g.feed_text(b"Paid</option></select>")


def test_body_tags_are_written_as_the_pages_learnt_from_write_them():
    g = machine("Open API")
    assert g.feed_text(b'```html\n<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8 ><style>.x{}</style></head><body>')
    for lost in (b'<span title = "a">', b'<span title ="a">', b'<span title= "a">', b"<a href=/docs>",
                 b"<a href='/docs'>", b"<span  hidden>", b"<span hidden >", b"<span\nhidden>", b'<span class="x"hidden>',
                 b"<br/>", b"<br />", b"</body >", b"</body\n>", b"< p>"):
        assert not g.feed_text(lost)    # run 9's `<br class aria-selected id = news style = …>`, `</small \n \n >`
    for lost in (b"<br class>", b"<span id lang", b'<a href="#" target="_blank" class="x" role="link" '):
        assert not g.feed_text(lost)    # run 9's `<br class style id lang aria-selected title aria-live role …>`
    assert g.feed_text(b'<span class="x" hidden>Open API</span></body></html>')


def test_no_markup_inside_a_tag():
    g = machine("Open API", "More")
    assert g.feed_text(HEAD + b'<h3 class="icon')
    assert not g.feed_text(b"</h3>") and not g.feed_text(b'"<p>')
    assert g.feed_text(b'">Open API</h3>')


def test_raw_text_elements_end_at_their_own_closing_tag():
    g = machine("Only this", "Shop")
    assert g.feed_text(b"<html><head><script>if (a < b) { x = '<p>'; }</script><STYLE>a::after{content:'<'}</style>")
    assert g.feed_text(b"<title>Free title</title></head><body>")
    assert not g.feed_text(b"<title>")  # a title belongs in the head: in the body it would hide what follows
    assert g.feed_text(b"<b>Shop</b><p>Only this</p>")
    assert not g.feed_text(b"<p>x")


def test_a_stylesheet_longer_than_any_learnt_ends_at_its_next_rules_end():
    from app.decode.grounding import STYLE_BYTES

    g = machine("Hi")
    rule = b".stat{padding:20px;background:#f8fafc;border-radius:12px}\n"
    assert g.feed_text(b"<html><head><style>" + rule * (STYLE_BYTES // len(rule)) + b".stat p{color:")
    assert g.feed_text(b"#64748b}")                         # the open rule is finished
    assert not g.feed_text(b".up{") and not g.feed_text(b"\n.")  # no rule after it
    assert g.feed_text(b"\n</style></head><body><p>Hi</p></body></html>")


def test_a_stylesheet_holds_no_markup_but_its_end_tag():
    g = machine("Hi")
    assert g.feed_text(b"<html><head><style>\n")
    assert not g.feed_text(b"<style>") and not g.feed_text(b"</div>") and not g.feed_text(b"<b")
    assert g.feed_text(b"a::after{content:'<b>'}\np{font:'Inter}\n")  # a string ends at its line's end
    assert not g.feed_text(b"<b")
    assert g.feed_text(b"p{color:red}</STYLE></head><body><p>Hi</p></body></html>")


def test_a_stylesheet_whose_braces_never_close_is_closed_at_its_limit():
    from app.decode.grounding import STYLE_BYTES

    g = machine("Hi")
    junk = b"h1{font-size:20px;color:#0f172a;"
    assert g.feed_text(b"<html><head><style>" + junk * -(-STYLE_BYTES * 4 // 3 // len(junk)))
    assert not g.feed_text(b"margin:0") and not g.feed_text(b"</style>")  # the open rules are closed first
    closed = g.feed_text(b"}" * -(-STYLE_BYTES * 4 // 3 // len(junk)))
    assert closed and not g.feed_text(b"p{")
    assert g.feed_text(b"</style></head><body><p>Hi</p></body></html>")


def test_a_stylesheet_of_more_tokens_than_any_learnt_ends():
    """Run 4 spent our dashboard mockup's tokens in `h1,h2,h2,h2,…`: 2,315 bytes, under the byte limit."""
    from app.decode.grounding import STYLE_TOKENS

    g = machine("Hi")
    assert g.feed_text(b"<html><head><style>a")
    for _ in range(STYLE_TOKENS):
        assert g.feed_text(b",b")
    assert not g.feed_text(b",b") and not g.feed_text(b"{")
    assert g.feed_text(b"</style></head><body><p>Hi</p></body></html>")


def test_tags_nest_as_written():
    g = machine("Hello", "World")
    assert g.feed_text(HEAD + b'<main><div class="card"><p>Hello')
    for wrong in (b"</div>", b"</main>", b"</span>", b"</body>"):
        assert not g.feed_text(wrong)           # an end tag closes the innermost open element only
    assert g.feed_text(b"</p></div>")
    assert not g.feed_text(b"<bodya>") and not g.feed_text(b"<head-shadow:0>") and not g.feed_text(b"< p>")
    assert not g.feed_text(b"<div/>")           # a div the browser would never close
    assert not g.feed_text(b"<!-- free text")   # a comment in the body: where a lost model writes freely
    assert g.feed_text(b'<br><img src="a.png"><svg><path d="M0 0"></path></svg><textarea rows="3">')
    assert not g.feed_text(b"<b>")              # a textarea's content is text to the browser
    assert g.feed_text(b"</textarea>")
    assert g.feed_text(b"<p><div>World</div></p></main></body></html>")  # a block in a paragraph: the browser's
                                                                        # business, not a name forced on the model


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    d = tmp_path_factory.mktemp("tok")
    ranks = {bytes([i]): i for i in range(256)}
    for t in (b"<p>", b"</p>", b"Fast", b" private", b"Hiring", b" made", b" human"):
        ranks[t] = len(ranks)
    write_tiktoken_model(d / "tiktoken.model", ranks)
    (d / "tokenizer_config.json").write_text(json.dumps(k25_tokenizer_config(len(ranks))))
    return Tokenizer.from_dir(d)


class PhraseLM(torch.nn.Module):
    """Prefers its script token at each step, then the `second` tokens, then ids in a fixed order (lower
    id = likelier); `<|im_end|>` once the script is done. Stands for a model that memorised a phrase."""

    def __init__(self, tok, script: list[int], second: list[int], low_first: bool = True):
        super().__init__()
        self.tok, self.script, self.second, self.sign = tok, script, second, -1.0 if low_first else 1.0
        self.w = torch.nn.Parameter(torch.zeros(1))

    def make_cache(self, batch, max_len):
        c = type("C", (), {})()
        c.seq_len, c.start = 0, None
        return c

    def forward(self, ids, cache=None, **media):
        if cache.start is None:
            cache.start = ids.shape[1]
        cache.seq_len += ids.shape[1]
        k = cache.seq_len - cache.start
        v = self.tok.vocab_size
        out = self.sign * torch.arange(v, dtype=torch.float32) / v    # a fixed preference by id
        out[self.second] = 5.0 - 0.1 * torch.arange(len(self.second), dtype=torch.float32)
        if k < len(self.script):
            out[self.script[k]] = 10.0
        else:
            out[self.tok.im_end_id] = 10.0
        return out.expand(ids.shape[0], ids.shape[1], v).clone()


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.skip, self.words = 0, []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "title", "script")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "title", "script")

    def handle_data(self, data):
        if not self.skip:
            self.words += data.split()


def visible_words(reply: str) -> list[str]:
    p = VisibleText()
    p.feed(reply.split("```html\n", 1)[1].split("```", 1)[0])
    return p.words


def test_generation_copies_the_ocr_text_instead_of_a_memorised_phrase(tok):
    script = tok.encode("```html\n<html><body><p>Fast private</p></body></html>\n```")
    model = PhraseLM(tok, script, second=tok.encode("Hiring made human"))
    params = SamplingParams(max_new_tokens=60)
    free = generate_text(model, tok, [1, 2, 3], params).text
    assert visible_words(free) == ["Fast", "private"]
    g = HtmlTextGrounding.for_tokenizer(["Hiring made human"], tok)
    grounded = generate_text(model, tok, [1, 2, 3], params, constraint=g).text
    assert visible_words(grounded) == ["Hiring", "made", "human"]
    assert grounded.startswith("```html\n<html><body><p>")  # the structure is the model's own


@pytest.mark.parametrize("fill", [True, False])
def test_a_phrase_with_no_ocr_alternative_gets_the_next_line_or_nothing_not_a_stray_word(tok, fill):
    script = tok.encode("```html\n<html><body><p>Fast private</p></body></html>\n```")
    model = PhraseLM(tok, script, second=[], low_first=False)  # " human" ranks high among the leftovers
    g = HtmlTextGrounding.for_tokenizer(["Hiring made human"], tok, fill=fill)
    out = generate_text(model, tok, [1, 2, 3], SamplingParams(max_new_tokens=60), constraint=g).text
    if fill:  # the slot the model opened gets the line that comes next in reading order
        assert visible_words(out) == ["Hiring", "made", "human"]
    else:     # the element is left empty
        body = out.split("<body>", 1)[1].split("</body>", 1)[0]
        assert visible_words(f"```html\n{body}```") == []
        assert out.startswith("```html\n<html><body><p></p>") and "</body></html>" in out


def test_fallback_closes_an_element_only_from_its_text(tok):
    g = HtmlTextGrounding.for_tokenizer(["Hiring"], tok, fill=False)
    assert g.feed_text(HEAD + b"<p")
    close = next(i for i in range(tok.num_base_tokens) if tok.decode_bytes([i]) == b"</p>")
    order = [close, ord(">"), ord("a")]
    assert g.fallback(order) == ord(">")  # inside the tag: "</p>" would break it
    assert g.feed_text(b">")
    assert g.fallback(order) == order[0]


def test_constrain_greedy_and_sampled():
    class Even:
        def allows(self, t):
            return t % 2 == 0

    logits = torch.tensor([0.0, 5.0, 1.0, 4.0, 3.0])
    g = constrain(logits, Even(), greedy=True)
    assert int(torch.argmax(g)) == 4 and torch.isinf(g[[0, 1, 2, 3]]).all()
    s = constrain(logits, Even(), greedy=False)
    assert torch.equal(torch.isfinite(s), torch.tensor([True, False, True, False, True]))
    assert constrain(logits, type("All", (), {"allows": lambda self, t: True})(), greedy=True) is logits

    class Nothing:
        def allows(self, t):
            return False

    with pytest.raises(ValueError):
        constrain(logits, Nothing(), greedy=False)

    class NothingButAnEnd(Nothing):
        def dead_end(self):
            return 3

    assert int(torch.argmax(constrain(logits, NothingButAnEnd(), greedy=True))) == 3


def test_special_tokens_are_refused_inside_words_and_while_the_page_is_open(tok):
    g = HtmlTextGrounding.for_tokenizer(["Only this"], tok)
    assert g.allows(tok.im_end_id)              # nothing written yet
    assert g.feed_text(HEAD + b"<p>")
    assert not g.allows(tok.im_end_id)          # <html>, <body> and <p> are open
    assert not g.allows(tok.encode("Fast")[0])
    assert g.feed_text(b"On")
    assert not g.allows(tok.im_end_id)          # the page must not end inside "Only"
    assert g.feed_text(b"ly this</p></body>")
    assert not g.allows(tok.im_end_id) and not g.feed_text(b"<p>")  # after the body, only </html>
    assert g.feed_text(b"</html>\n```") and g.allows(tok.im_end_id)

def test_a_slot_whose_next_line_the_model_cannot_begin_is_left_empty(tok):
    g = HtmlTextGrounding.for_tokenizer(["Hiring"], tok)
    assert g.feed_text(HEAD + b"<p>")
    close = next(i for i in range(tok.num_base_tokens) if tok.decode_bytes([i]) == b"</p>")
    order = [tok.encode("Fast")[0], ord("<"), close]  # "Hiring" is not among them
    assert g.fallback(order) == close                 # not a new element opened in the slot


def test_a_slot_that_may_not_be_empty_takes_the_next_line_from_anywhere_in_the_ranking(tok):
    g = HtmlTextGrounding.for_tokenizer(["Hiring made human"], tok)
    assert g.feed_text(HEAD + b"<main><p>")
    close = next(i for i in range(tok.num_base_tokens) if tok.decode_bytes([i]) == b"</p>")
    hiring = tok.encode("Hiring")[0]
    order = [tok.encode("Fast")[0], close] + [ord(c) for c in "xyz"] * 200 + [hiring]
    assert g.fallback(order) == hiring       # ranked past FALLBACK_SCAN: still the slot's text, not `</`
    g2 = HtmlTextGrounding.for_tokenizer(["Hiring made human"], tok)
    assert g2.feed_text(HEAD + b"<main><p>")
    assert g2.fallback([tok.encode("Fast")[0], close]) == close   # no token begins it: it may close empty


def test_a_slot_is_filled_past_what_ocr_read_from_an_icon(tok):
    g = HtmlTextGrounding.for_tokenizer(["~ Hiring made human"], tok)
    assert g.feed_text(HEAD + b"<h1>")
    hiring = tok.encode("Hiring")[0]
    assert g.fallback([tok.encode("Fast")[0], hiring]) == hiring


def test_once_every_word_is_written_only_end_tags_follow():
    g = machine("Hello world", "~")
    assert g.feed_text(HEAD + b"<main><div>")            # words are left: anything opens
    assert g.feed_text(b"<p>Hello world</p>")
    for lost in (b"<div", b"<section>", b"<a href", b"<li", b"<br", b"<hr", b"<svg", b"<img"):
        assert not g.feed_text(lost)     # a lost model's empty elements, and run 9's `<hr><hr style><input …>`
    assert g.feed_text(b"</div></main></body></html>")
