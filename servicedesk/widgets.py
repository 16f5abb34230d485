"""Widgets for the busiest pages (issue 14).

Django renders a <select> through the template engine, one template per option and per attribute
list; the ticket list's filter bar (seven selects, ~50 options) spent ~5 ms there on every page view.
FastSelect writes the same markup in Python: the same options (Widget.optgroups), the same
attributes, everything escaped. Optgroups fall back to Django's own rendering.
"""
from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        groups = context["widget"]["optgroups"]
        if any(group_name for group_name, _options, _index in groups):
            return super().render(name, value, attrs, renderer)
        options = format_html_join(
            "\n", '<option value="{}"{}>{}</option>',  # attrs carry "selected" (Select.checked_attribute)
            ((opt["value"], flatatt(opt["attrs"]), opt["label"]) for _group, options, _index in groups for opt in options),
        )
        return format_html('<select name="{}"{}>\n{}\n</select>', name, flatatt(context["widget"]["attrs"]), options)

    @classmethod
    def replacing(cls, widget: forms.Select) -> "FastSelect":
        """A FastSelect with another Select's attributes and choices (e.g. a filter's generated field)."""
        fast = cls(attrs=widget.attrs)
        fast.choices = widget.choices
        return fast
