"""Regrouping (`app.layout.groups`) as the code sees it: a bulleted line is a list's item only inside a list."""
from app.compose.html import write_page
from app.layout.groups import regroup
from app.layout.tree import Node
from app.markup.parse import Element, parse_html


def item(x, y, w, s, marker="ul", role="li"):
    return Node("text", x, y, w, 22, role=role, text=s,
                style={"size": 18, "lh": 22, "lines": 1, "colour": "#1863a1", "weight": 400, "marker": marker})


def parents_of_li(html: str) -> list[str]:
    out = []

    def walk(el):
        for c in el.children:
            if isinstance(c, Element):
                if c.tag == "li":
                    out.append(el.tag)
                walk(c)
    walk(parse_html(html))
    return out


def test_a_bulleted_line_beside_a_link_in_a_row_is_no_list_item_but_a_run_of_them_in_a_column_is():
    # real page 13545: "• Questions" and "Journals and Zines »" side by side under its article
    row = regroup(Node("row", 100, 100, 800, 22, [item(100, 100, 100, "Questions"),
                                                  item(700, 100, 200, "Journals and Zines", role="a")]))
    html = write_page(Node("page", 0, 0, 1000, 400, [Node("column", 100, 100, 800, 22, [row])]))
    assert parents_of_li(html) == [] and "Questions" in html
    col = regroup(Node("column", 100, 200, 300, 80, [item(100, 200, 200, "One"), item(100, 230, 200, "Two"),
                                                     item(100, 260, 200, "Three")]))
    html = write_page(Node("page", 0, 0, 1000, 400, [col]))
    assert parents_of_li(html) == ["ul", "ul", "ul"]
