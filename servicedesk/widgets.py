"""Widgets for the busiest pages (issue 14).

Django renders a <select> (and an <input>) through the template engine, one template per option and per attribute
list; the ticket list's filter bar (seven selects, ~50 options) spent ~5 ms there on every page view.
FastSelect writes the same markup in Python: the same options, the same selection rule
(Select.format_value), the same attributes, everything escaped. Optgroups and multiple selects fall
back to Django's own rendering.
"""
from django import forms
from django.forms import widgets
from django.utils.safestring import SafeString

from .fasthtml import esc, fmt, fmt_join


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        choices = list(iter(self.choices))  # not list(choices): ModelChoiceIterator's len() is a COUNT
        if self.allow_multiple_selected or any(isinstance(label, (list, tuple)) for _v, label in choices):
            return super().render(name, value, attrs, renderer)  # optgroups: Django's own rendering
        selected = set(self.format_value(value))
        options = fmt_join(
            "\n", '<option value="{}"{}>{}</option>',
            ((option_value, " selected" if str(option_value) in selected else "", label)
             for option_value, label in ((("" if v is None else str(v)), lab) for v, lab in choices)),
        )
        return fmt('<select name="{}"{}>\n{}\n</select>', name, _attrs(self.build_attrs(self.attrs, attrs)), options)

    @classmethod
    def replacing(cls, widget: forms.Select) -> "FastSelect":
        """A FastSelect with another Select's attributes and choices (e.g. a filter's generated field)."""
        fast = cls(attrs=widget.attrs)
        fast.choices = widget.choices
        return fast


def _attrs(attrs: dict) -> SafeString:
    """Django's widgets/attrs.html in Python: in order, True as a bare name, False left out, all escaped."""
    return SafeString("".join(f" {esc(k)}" if v is True else f' {esc(k)}="{esc(v)}"'
                              for k, v in attrs.items() if v is not False))


class FastInputMixin:
    """<input> written in Python, the same markup as django/forms/widgets/input.html (whose template and
    attrs.html include cost ~0.25 ms a field). The widget's own get_context decides type, value and attrs."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        value_attr = "" if widget["value"] is None else f' value="{esc(widget["value"])}"'
        return SafeString(f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{value_attr}'
                          f'{_attrs(widget["attrs"])}>')


class FastRadioSelect(forms.RadioSelect):
    """A RadioSelect whose options, drawn one by one in a page's own markup ({{ radio.tag }}), are written in
    Python: the same <input> as radio_option.html → input.html. The whole widget ({{ field }}) and labelled
    options keep Django's templates."""

    def _render(self, template_name, context, renderer=None):
        widget = context["widget"]
        if template_name != self.option_template_name or widget.get("wrap_label"):
            return super()._render(template_name, context, renderer)
        value_attr = "" if widget["value"] is None else f' value="{esc(widget["value"])}"'
        return SafeString(f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{value_attr}'
                          f'{_attrs(widget["attrs"])}>')


_FAST_INPUTS: dict[type, type] = {}


def fast_input(widget: widgets.Input) -> widgets.Input:
    """Make a plain Input widget (text, date, number…) render in Python; others are returned unchanged."""
    cls = type(widget)
    if isinstance(widget, FastInputMixin) or not isinstance(widget, widgets.Input) or \
            cls.template_name not in _PLAIN_TEMPLATES:
        return widget
    fast = _FAST_INPUTS.get(cls)
    if fast is None:
        fast = _FAST_INPUTS[cls] = type(f"Fast{cls.__name__}", (FastInputMixin, cls), {})
    widget.__class__ = fast
    return widget


# Input subclasses whose template is input.html under another name (nothing else in them).
_PLAIN_TEMPLATES = {f"django/forms/widgets/{n}.html" for n in ("input", "text", "date", "number", "email", "search",
                                                                 "url", "tel", "datetime", "time", "password",
                                                                 "hidden")}
