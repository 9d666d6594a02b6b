"""RFC 3676 format=flowed text joined back into paragraphs.

A line ending in a space continues on the next line of the same quote depth; with
DelSp=yes that space was added by the sender and is removed. Space-stuffing is undone,
the signature separator ``-- `` is never joined. Quoted lines are written back as
``> `` per level so the result reads like ordinary plain text.
"""

from __future__ import annotations


def unflow(text: str, delsp: bool = False) -> str:
    """`text` (lines separated by \\n) with flowed lines joined. Works in one pass, no recursion."""
    out: list[str] = []
    current: list[str] = []
    current_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content.removeprefix(" ")  # space-stuffing, or the space after the quote marks
        flowed = content.endswith(" ") and content != "-- "
        if current and depth != current_depth:
            out.append(_quote(current_depth, "".join(current)))
            current = []
        current_depth = depth
        if flowed:
            current.append(content[:-1] if delsp else content)
            continue
        current.append(content)
        out.append(_quote(depth, "".join(current)))
        current = []
    if current:
        out.append(_quote(current_depth, "".join(current)))
    return "\n".join(out)


def _quote(depth: int, text: str) -> str:
    if depth <= 0:
        return text
    return ">" * depth + (" " + text if text else "")
