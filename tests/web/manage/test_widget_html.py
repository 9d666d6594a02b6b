"""The settings form's widgets written in Python (web/widget_html.py) are the HTML Django's own
widget templates write: every field, on a fresh form, on a form sent back with errors and with
values that need escaping, and on selects with option groups."""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates

from listhaven.web.manage.settings_form import SettingsForm
from listhaven.web.widget_html import PlainWidgets


def _both(form: forms.BaseForm) -> list[tuple[str, str, str]]:
    plain, templates = PlainWidgets(), DjangoTemplates()
    out = []
    for bound in form:
        form.renderer = plain
        fast = str(bound)
        form.renderer = templates
        out.append((bound.name, fast, str(bound)))
    return out


def test_every_settings_field_renders_as_the_templates_do(lists_with_roles):
    garden = lists_with_roles["garden"]
    garden.footer = 'Read <b>"the rules"</b> & be kind'
    garden.acceptable_aliases = ["garden@old.example.org", "^garden-.*@example.org"]
    rows = _both(SettingsForm(instance=garden))
    assert len(rows) == len(SettingsForm.base_fields)
    kinds = set()
    for name, fast, slow in rows:
        assert fast == slow, name
        kinds.add(slow.split(" ", 1)[0])
    assert {"<input", "<select", "<textarea"} <= kinds
    assert "&lt;b&gt;&quot;the rules&quot;&lt;/b&gt; &amp; be kind" in dict((n, f) for n, f, _ in rows)["footer"]


def test_a_form_sent_back_with_errors_renders_as_the_templates_do(lists_with_roles):
    data = {"display_name": '<script>"x"</script>', "max_message_kb": "lots", "emergency": "on",
            "header_filters": "([unclosed", "reply_to": "explicit", "bounce_threshold": "0"}  # fmt: skip
    form = SettingsForm(data, instance=lists_with_roles["garden"])
    assert not form.is_valid()
    for name, fast, slow in _both(form):
        assert fast == slow, name


class Grouped(forms.Form):
    fruit = forms.ChoiceField(choices=[("Sweet", [("a", "Apple & pear"), ("b", '"Banana"')]), ("c", "Cherry")],
                              initial="b")  # fmt: skip
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], initial=["x", "y"])
    hidden = forms.CharField(widget=forms.HiddenInput, initial="<h>")
    flag = forms.BooleanField(initial=True, widget=forms.CheckboxInput(attrs={"disabled": True, "data-x": False}))
    radio = forms.ChoiceField(choices=[("1", "one")], widget=forms.RadioSelect)  # left to the templates


def test_groups_multiple_selects_hidden_and_fallbacks_render_as_the_templates_do():
    for name, fast, slow in _both(Grouped()):
        assert fast == slow, name
