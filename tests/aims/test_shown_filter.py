"""The kit's ``shown`` filter: a value as the register shows it, in lists, record pages and history diffs."""

from datetime import date

from django.template import Context, Template


def render(value) -> str:
    return Template("{% load aims_tags %}{{ value|shown }}").render(Context({"value": value}))


def test_booleans_and_nothing_read_as_words():
    assert render(True) == "Yes"
    assert render(False) == "No"
    assert render(None) == render("") == '<span class="muted">(empty)</span>'
    assert render(0) == "0"  # a zero is a value, not nothing


def test_a_value_renders_as_the_template_would_render_it_escaped():
    assert render("<b>R&D</b>") == "&lt;b&gt;R&amp;D&lt;/b&gt;"
    when = date(2026, 3, 4)
    assert render(when) == Template("{{ value }}").render(Context({"value": when}))


def test_the_value_partial_uses_it():
    partial = Template('{% include "partials/value.html" %}')
    assert partial.render(Context({"value": None})) == render(None)
    assert partial.render(Context({"value": "<i>x</i>"})) == render("<i>x</i>")
