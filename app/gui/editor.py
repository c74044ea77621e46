"""The code editor pane: line numbers, syntax highlighting for HTML/CSS/JS/JSX/Vue, and streaming appends.

`CodeEditor.append_stream(text)` adds streamed code at the end without moving the user's cursor or selection and
keeps the view pinned to the bottom only when it already was there, so reading earlier lines while tokens arrive
works. Highlighting is a small state machine (`CodeHighlighter`) rather than a grammar: one block state per line
says whether the line starts inside HTML, an HTML comment, a `<style>` block, a CSS comment, a `<script>` block or a
JS comment, which is what multi-line constructs in a generated page need. Vue single-file components are HTML with
`{{ }}` interpolation; JSX is JS with tags. It colours; it does not validate.
"""
from __future__ import annotations

import re

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QPainter, QSyntaxHighlighter, QTextCharFormat,
                           QTextCursor, QTextDocument)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

# block states
HTML, HTML_COMMENT, CSS, CSS_COMMENT, JS, JS_COMMENT = range(6)


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


FORMATS = {
    "tag": _fmt("#1f5fbf", bold=True),
    "attr": _fmt("#8a4b08"),
    "string": _fmt("#2e7d32"),
    "comment": _fmt("#7f8c8d", italic=True),
    "selector": _fmt("#6a1b9a"),
    "property": _fmt("#0d47a1"),
    "number": _fmt("#c62828"),
    "keyword": _fmt("#ad1457", bold=True),
    "at": _fmt("#6a1b9a", bold=True),
    "interp": _fmt("#00838f", bold=True),
}

JS_KEYWORDS = ("const let var function return if else for while do switch case break continue new class extends "
               "import export from default async await try catch finally throw typeof instanceof in of this "
               "null undefined true false yield").split()

RE_TAG = re.compile(r"</?[A-Za-z][\w\-.:]*|/?>")
RE_ATTR = re.compile(r"[\s]([:@]?[A-Za-z_][\w\-:.]*)(?==)")
RE_STRING = re.compile(r"\"[^\"]*\"|'[^']*'|`[^`]*`")
RE_INTERP = re.compile(r"\{\{.*?\}\}")
RE_CSS_PROP = re.compile(r"([A-Za-z\-]+)\s*:(?!:)")
RE_CSS_SELECTOR = re.compile(r"[^{};]+(?=\{)")
RE_NUMBER = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b\d+(\.\d+)?(px|em|rem|%|vh|vw|s|ms|fr)?\b")
RE_AT = re.compile(r"@[A-Za-z\-]+")
RE_JS_KEYWORD = re.compile(r"\b(" + "|".join(JS_KEYWORDS) + r")\b")
RE_JSX_TAG = re.compile(r"</?[A-Za-z][\w.]*|/>")
RE_OPEN_STYLE = re.compile(r"<style\b[^>]*>", re.I)
RE_OPEN_SCRIPT = re.compile(r"<script\b[^>]*>", re.I)


class CodeHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, language: str = "html"):
        super().__init__(document)
        self.language = language

    def set_language(self, language: str) -> None:
        if language != self.language:
            self.language = language
            self.rehighlight()

    def _apply(self, start: int, text: str, regex: re.Pattern, fmt: str, group: int = 0) -> None:
        for m in regex.finditer(text):
            if m.group(group) is not None:
                self.setFormat(start + m.start(group), len(m.group(group)), FORMATS[fmt])

    def highlightBlock(self, text: str) -> None:
        state = self.previousBlockState()
        if state < 0:
            state = JS if self.language in ("js", "jsx") else CSS if self.language == "css" else HTML
        pos = 0
        while pos <= len(text):
            if state == HTML:
                state, pos = self._html(text, pos)
            elif state == HTML_COMMENT:
                state, pos = self._comment(text, pos, "-->", HTML_COMMENT, HTML)
            elif state == CSS:
                state, pos = self._css(text, pos)
            elif state == CSS_COMMENT:
                state, pos = self._comment(text, pos, "*/", CSS_COMMENT, CSS)
            elif state == JS:
                state, pos = self._js(text, pos)
            else:
                state, pos = self._comment(text, pos, "*/", JS_COMMENT, JS)
            if pos >= len(text):
                break
        self.setCurrentBlockState(state)

    def _comment(self, text: str, pos: int, end: str, inside: int, after: int) -> tuple[int, int]:
        idx = text.find(end, pos)
        if idx < 0:
            self.setFormat(pos, len(text) - pos, FORMATS["comment"])
            return inside, len(text)
        self.setFormat(pos, idx + len(end) - pos, FORMATS["comment"])
        return after, idx + len(end)

    def _html(self, text: str, pos: int) -> tuple[int, int]:
        # The segment runs to the first construct that changes state: a comment, <style>, or <script>.
        candidates = []
        c = text.find("<!--", pos)
        if c >= 0:
            candidates.append((c, "comment"))
        m_style = RE_OPEN_STYLE.search(text, pos)
        if m_style:
            candidates.append((m_style.start(), "style"))
        m_script = RE_OPEN_SCRIPT.search(text, pos)
        if m_script:
            candidates.append((m_script.start(), "script"))
        first = min(candidates) if candidates else (len(text), "end")
        cut, kind = first
        if kind == "style":
            cut = m_style.end()
        elif kind == "script":
            cut = m_script.end()
        segment = text[pos:cut]
        self._apply(pos, segment, RE_TAG, "tag")
        self._apply(pos, segment, RE_ATTR, "attr", 1)
        self._apply(pos, segment, RE_STRING, "string")
        if self.language == "vue":
            self._apply(pos, segment, RE_INTERP, "interp")
        if kind == "comment":
            return HTML_COMMENT, cut
        if kind == "style":
            return CSS, cut
        if kind == "script":
            return JS, cut
        return HTML, len(text)

    def _embedded_end(self, text: str, pos: int, closing: str) -> int:
        if self.language in ("html", "vue"):
            idx = text.lower().find(closing, pos)
            return idx if idx >= 0 else len(text)
        return len(text)

    def _css(self, text: str, pos: int) -> tuple[int, int]:
        end = self._embedded_end(text, pos, "</style")
        c = text.find("/*", pos, end)
        stop = c if c >= 0 else end
        segment = text[pos:stop]
        self._apply(pos, segment, RE_CSS_SELECTOR, "selector")
        self._apply(pos, segment, RE_CSS_PROP, "property", 1)
        self._apply(pos, segment, RE_NUMBER, "number")
        self._apply(pos, segment, RE_STRING, "string")
        self._apply(pos, segment, RE_AT, "at")
        if c >= 0:
            self._mark(c, 2)
            return CSS_COMMENT, c + 2
        if end < len(text):
            return HTML, end
        return CSS, len(text)

    def _js(self, text: str, pos: int) -> tuple[int, int]:
        end = self._embedded_end(text, pos, "</script")
        block = text.find("/*", pos, end)
        line = text.find("//", pos, end)
        # `//` inside a URL string ("http://…") is not a comment: only count it outside strings.
        if line >= 0 and any(m.start() < line < m.end() for m in RE_STRING.finditer(text, pos, end)):
            line = -1
        stop = min([i for i in (block, line) if i >= 0], default=end)
        segment = text[pos:stop]
        self._apply(pos, segment, RE_JS_KEYWORD, "keyword")
        self._apply(pos, segment, RE_NUMBER, "number")
        if self.language in ("jsx", "js"):
            self._apply(pos, segment, RE_JSX_TAG, "tag")
            self._apply(pos, segment, RE_ATTR, "attr", 1)
        self._apply(pos, segment, RE_STRING, "string")
        if stop == line and line >= 0:
            self.setFormat(line, end - line, FORMATS["comment"])
            return (HTML, end) if end < len(text) else (JS, len(text))
        if stop == block and block >= 0:
            self._mark(block, 2)
            return JS_COMMENT, block + 2
        if end < len(text):
            return HTML, end
        return JS, len(text)

    def _mark(self, start: int, length: int) -> bool:
        self.setFormat(start, length, FORMATS["comment"])
        return True


class _LineNumbers(QWidget):
    def __init__(self, editor: "CodeEditor"):
        super().__init__(editor)
        self.editor = editor

    def paintEvent(self, event) -> None:
        self.editor.paint_line_numbers(event)


class CodeEditor(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None, language: str = "html"):
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(max(font.pointSize(), 10))
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 2)
        self.highlighter = CodeHighlighter(self.document(), language)
        # Set by the window: drops/pastes of files or image data go to the inputs, not into the code.
        self.image_dropped = None
        self.numbers = _LineNumbers(self)
        self._margin = -1
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._update_numbers)
        self._update_margin()

    def set_language(self, language: str) -> None:
        self.highlighter.set_language(language)

    # ---- drops and pastes of images --------------------------------------------------------------------------
    def _is_media(self, mime) -> bool:
        return self.image_dropped is not None and (
            mime.hasUrls() or mime.hasImage() or any(f.startswith("image/") for f in mime.formats()))

    def canInsertFromMimeData(self, mime) -> bool:
        return self._is_media(mime) or super().canInsertFromMimeData(mime)

    def insertFromMimeData(self, mime) -> None:
        if self._is_media(mime):
            self.image_dropped(mime)
        else:
            super().insertFromMimeData(mime)

    # ---- streaming ---------------------------------------------------------------------------------------------
    def append_stream(self, text: str) -> None:
        """Insert `text` at the end; the user's cursor stays put; follow the end only if the view was there."""
        if not text:
            return
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if at_bottom:
            bar.setValue(bar.maximum())

    def set_code(self, text: str) -> None:
        """Replace the whole text (a version switch or a restore) as one undoable step."""
        cursor = QTextCursor(self.document())
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)

    # ---- line numbers ------------------------------------------------------------------------------------------
    def line_number_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def _update_margin(self, *_):
        # Only when the digit count changes: setViewportMargins re-lays out the viewport every time it is
        # called, and blockCountChanged fires on every streamed line (a 384 ms layout stall measured under load).
        width = self.line_number_width()
        if width != self._margin:
            self._margin = width
            self.setViewportMargins(width, 0, 0, 0)

    def _update_numbers(self, rect: QRect, dy: int) -> None:
        if dy:
            self.numbers.scroll(0, dy)
        else:
            self.numbers.update(0, rect.y(), self.numbers.width(), rect.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self.numbers.setGeometry(QRect(cr.left(), cr.top(), self.line_number_width(), cr.height()))

    def paint_line_numbers(self, event) -> None:
        painter = QPainter(self.numbers)
        painter.fillRect(event.rect(), QColor("#f3f3f3"))
        painter.setPen(QColor("#9e9e9e"))
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                painter.drawText(0, top, self.numbers.width() - 6, height, Qt.AlignmentFlag.AlignRight,
                                 str(number + 1))
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1
        painter.end()
