"""A form renderer that writes Django's plain widgets (inputs, checkboxes, text areas, selects) in
Python, byte for byte as Django's own widget templates write them, and leaves every other widget to
those templates.

Why: rendering a widget through the template engine costs about half a millisecond (an include for
the input, another for its attributes, one per option of a select); the list settings page has 40
fields and spent more than half its time there. tests/web/manage/test_widget_html.py renders every
field of that form both ways and compares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

W = "django/forms/widgets/"
INPUTS = frozenset(W + name for name in ("input.html", "text.html", "number.html", "email.html", "password.html",
                                         "checkbox.html", "url.html", "hidden.html", "search.html", "tel.html"))  # fmt: skip


def _text(value: Any) -> str:
    """`{{ value }}` / `{{ value|stringformat:'s' }}` in an autoescaping template."""
    return str(conditional_escape(value if isinstance(value, SafeData) else str(value)))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html"""
    return "".join(f" {_text(name)}" if value is True else f' {_text(name)}="{_text(value)}"'
                   for name, value in attrs.items() if value is not False)  # fmt: skip


def _input(widget: dict[str, Any]) -> str | None:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict[str, Any]) -> str | None:
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != W + "select_option.html":
                return None
            parts.append(f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                         f'{_text(option["label"])}</option>\n')  # the option template's last line break  # fmt: skip
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


WRITERS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **{name: _input for name in INPUTS},
    W + "textarea.html": _textarea,
    W + "select.html": _select,
}


class PlainWidgets(DjangoTemplates):
    """Django's default renderer, with the plain widgets written without the template engine."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> SafeString:
        writer = WRITERS.get(template_name)
        widget = context.get("widget")
        if writer is not None and isinstance(widget, dict) and template_name == widget.get("template_name"):
            html = writer(widget)
            if html is not None:
                return mark_safe(html.strip())  # every value went through conditional_escape; strip() as Django's
        return super().render(template_name, context, request)
