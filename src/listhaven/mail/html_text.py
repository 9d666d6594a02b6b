"""HTML mail as readable plain text, with the stdlib's html.parser only.

Paragraphs and line breaks are kept, list items get a bullet, links read ``text <url>``,
blockquotes are quoted with ``> ``, <pre> keeps its whitespace, and nothing inside
<script>, <style>, <head> or <title> appears.
"""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

_PARAGRAPH = {"p", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr"}
_BLOCK = _PARAGRAPH | {"div", "tr", "address", "section", "article", "header", "footer", "form", "center", "dt", "dd"}
_HIDDEN = {"script", "style", "head", "title", "template", "noscript", "object", "iframe"}
_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_MAX_DEPTH = 50


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.hidden = 0
        self.pre = 0
        self.quote = 0
        self.links: list[str | None] = []
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.newline()
        elif tag == "li":
            self.end_line()
            self.write("- ")
        elif tag == "blockquote":
            self.paragraph()
            self.quote = min(self.quote + 1, _MAX_DEPTH)
        elif tag == "a":
            href = dict(attrs).get("href") or None
            self.links.append(href)
            self.link_text = []
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.write(alt)
        elif tag in _BLOCK:
            if tag in _PARAGRAPH:
                self.paragraph()
            else:
                self.end_line()
            if tag == "pre":
                self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote":
            self.paragraph()
            self.quote = max(0, self.quote - 1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            shown = "".join(self.link_text).strip()
            if self._worth_showing(href, shown):
                self.write(f" <{href}>")
        elif tag in ("td", "th"):
            self.write(" ")
        elif tag in _BLOCK or tag == "li":
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            if tag in _PARAGRAPH:
                self.paragraph()
            else:
                self.end_line()

    @staticmethod
    def _worth_showing(href: str | None, shown: str) -> bool:
        if not href or not href.lower().startswith(("http:", "https:", "mailto:", "ftp:")):
            return False
        return href not in (shown, "mailto:" + shown) and href.lower() != "mailto:" + shown.lower()

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if not self.pre:
            data = _SPACE.sub(" ", data)
            if not self.line or "".join(self.line).endswith(" "):
                data = data.lstrip(" ")
            self.write(data)
            return
        first, *rest = data.replace("\r\n", "\n").split("\n")
        self.write(first)
        for piece in rest:
            self.newline()
            self.write(piece)

    def write(self, text: str) -> None:
        if text:
            self.line.append(text)
            if self.links:
                self.link_text.append(text)

    def newline(self) -> None:
        text = "".join(self.line).rstrip()
        self.line = []
        prefix = "> " * self.quote
        self.lines.append((prefix + text).rstrip() if prefix else text)

    def end_line(self) -> None:
        if "".join(self.line).strip():
            self.newline()
        self.line = []

    def paragraph(self) -> None:
        self.end_line()
        if self.lines and self.lines[-1].strip("> "):
            self.lines.append("")


def html_to_text(html: str) -> str:
    """Readable text for an HTML document or fragment. Never raises."""
    writer = _TextWriter()
    with contextlib.suppress(Exception):  # html.parser is lenient, but a failure must not lose the mail
        writer.feed(html)
        writer.close()
    if writer.line:
        writer.newline()
    text = "\n".join(writer.lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")
