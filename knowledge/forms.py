from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk import params

from .models import Article, Category
from .services import ArticleInput


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Body"), max_length=50000, widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Markdown: **bold**, lists, links, tables. Scripts and unsafe links are removed."),
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False)
    tags = forms.CharField(label=_("Tags"), max_length=500, required=False, help_text=_("Separate tags with commas."))
    product = forms.CharField(label=_("Product"), max_length=120, required=False)
    model = forms.CharField(label=_("Model"), max_length=120, required=False)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Article.Visibility.choices)
    review_by = params.DateField(label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    change_note = forms.CharField(label=_("Change note"), max_length=300, required=False,
                                  help_text=_("What you changed and why (shown in the history)."))

    @classmethod
    def initial_for(cls, article: Article) -> dict:
        return {
            "title": article.title, "body": article.body, "category": article.category_id,
            "tags": ", ".join(t.name for t in article.tags.all()), "product": article.product,
            "model": article.model, "visibility": article.visibility, "review_by": article.review_by,
        }

    def to_input(self) -> ArticleInput:
        d = self.cleaned_data
        raw_tags = d["tags"].replace("，", ",")  # a Chinese keyboard types the full-width comma
        return ArticleInput(
            title=d["title"], body=d["body"], category=d["category"],
            tags=[t for t in raw_tags.split(",") if t.strip()], product=d["product"], model=d["model"],
            visibility=d["visibility"], review_by=d["review_by"],
        )


_SELECT = {"class": "form-select"}


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False,
                                      empty_label=_("All categories"), widget=forms.Select(attrs=_SELECT))
    product = forms.CharField(label=_("Product or model"), max_length=120, required=False)
    visibility = forms.ChoiceField(label=_("Visibility"), required=False, widget=forms.Select(attrs=_SELECT),
                                   choices=[("", _("Any visibility")), *Article.Visibility.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, widget=forms.Select(attrs=_SELECT),
                               choices=[("", _("Any status")), *Article.Status.choices])


class FaqSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False)
