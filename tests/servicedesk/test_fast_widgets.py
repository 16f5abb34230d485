"""The ticket list's filter widgets written in Python give Django's own markup, byte for byte."""
from datetime import date

from django import forms
from django.utils.translation import override

from servicedesk.widgets import FastSelect, fast_input


def _django(widget, name, value, attrs=None):
    return widget.render(name, value, attrs)


def test_inputs_render_as_django_does():
    cases = [
        (forms.TextInput(attrs={"class": "form-control", "placeholder": 'a "quoted" <b>'}), "q", '<b>"王芳" & co'),
        (forms.TextInput(attrs={"required": True, "disabled": False, "maxlength": 60}), "name", ""),
        (forms.DateInput(attrs={"type": "date", "class": "form-control"}), "created_from", date(2026, 11, 1)),
        (forms.DateInput(attrs={"type": "date"}), "created_to", None),
        (forms.NumberInput(), "n", 3),
    ]
    for language in ("en", "zh-hans"):
        with override(language):
            for widget, name, value in cases:
                expected = _django(widget, name, value, {"id": f"id_{name}"})
                fast = fast_input(widget)
                assert type(fast).__name__.startswith("Fast")
                assert fast.render(name, value, {"id": f"id_{name}"}) == expected


def test_other_widgets_are_left_alone():
    for widget in (forms.Textarea(), forms.CheckboxInput(), forms.Select(), forms.ClearableFileInput()):
        assert fast_input(widget) is widget and not type(widget).__name__.startswith("Fast")


def test_select_renders_as_django_does():
    choices = [("", "Anyone"), ("1", '王芳 <"admin">'), ("2", "Li Lei")]
    django_select = forms.Select(attrs={"class": "form-select"}, choices=choices)
    fast = FastSelect.replacing(django_select)
    for value in ("", "1", "2", None, "9"):
        # Django's own select writes its options on lines of their own with the template's spacing: compare
        # the tags, which are what a browser reads
        assert _tags(fast.render("assignee", value)) == _tags(django_select.render("assignee", value))


def _tags(html: str) -> list[str]:
    return [t.strip() for t in html.replace("\n", "").split(">") if t.strip()]


def test_hidden_inputs_and_radio_options_render_as_django_does():
    from servicedesk.widgets import FastRadioSelect

    for value in (None, "", 7, 'x"<y>'):
        expected = forms.HiddenInput().render("reply-version", value, {"id": "id_reply-version"})
        assert fast_input(forms.HiddenInput()).render("reply-version", value, {"id": "id_reply-version"}) == expected
    choices = [("1", "Public reply to the customer"), ("0", 'Internal <note> "x"')]

    class Django(forms.Form):
        public = forms.ChoiceField(choices=choices, widget=forms.RadioSelect(attrs={"class": "form-check-input"}))

    class Fast(forms.Form):
        public = forms.ChoiceField(choices=choices, widget=FastRadioSelect(attrs={"class": "form-check-input"}))

    for data in ({"public": "1"}, {"public": "0"}, {}):
        django_form, fast_form = Django(data, prefix="reply"), Fast(data, prefix="reply")
        assert [r.tag() for r in fast_form["public"]] == [r.tag() for r in django_form["public"]]
        assert [r.choice_label for r in fast_form["public"]] == [r.choice_label for r in django_form["public"]]
        # the whole widget and labelled options keep Django's own templates
        assert str(fast_form["public"]) == str(django_form["public"])
        assert [r.tag(wrap_label=True) for r in fast_form["public"]] == [r.tag(wrap_label=True) for r in django_form["public"]]
