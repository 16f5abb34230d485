"""Widgets for the busiest pages (issue 14).

Django renders a <select> through the template engine, one template per option and per attribute
list; the ticket list's filter bar (seven selects, ~50 options) spent ~5 ms there on every page view.
FastSelect writes the same markup in Python: the same options, the same selection rule
(Select.format_value), the same attributes, everything escaped. Optgroups and multiple selects fall
back to Django's own rendering.
"""
from django import forms
from django.forms.utils import flatatt

from .fasthtml import fmt as format_html
from .fasthtml import fmt_join as format_html_join


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        choices = list(iter(self.choices))  # not list(choices): ModelChoiceIterator's len() is a COUNT
        if self.allow_multiple_selected or any(isinstance(label, (list, tuple)) for _v, label in choices):
            return super().render(name, value, attrs, renderer)  # optgroups: Django's own rendering
        selected = set(self.format_value(value))
        options = format_html_join(
            "\n", '<option value="{}"{}>{}</option>',
            ((option_value, " selected" if str(option_value) in selected else "", label)
             for option_value, label in ((("" if v is None else str(v)), lab) for v, lab in choices)),
        )
        return format_html('<select name="{}"{}>\n{}\n</select>', name,
                           flatatt(self.build_attrs(self.attrs, attrs)), options)

    @classmethod
    def replacing(cls, widget: forms.Select) -> "FastSelect":
        """A FastSelect with another Select's attributes and choices (e.g. a filter's generated field)."""
        fast = cls(attrs=widget.attrs)
        fast.choices = widget.choices
        return fast
