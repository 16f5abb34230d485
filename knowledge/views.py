from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.compiled import compiled_objects, compiled_one
from servicedesk.params import id_param
from servicedesk.permissions import perm_required
from servicedesk.ratelimit import client_ip

from . import selectors, services
from .forms import ArticleForm, FaqSearchForm, SearchForm
from .models import Article, ArticleTicketLink, ArticleVote
from .text import diff_lines, highlight, plain_text, render_markdown, snippet

PAGE_SIZE = 20


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _decorate(page, tokens):
    """Titles and snippets with the query's words wrapped in <mark> (escaped first)."""
    for article in page:
        article.title_html = highlight(article.title, tokens)
        if "body" in article.__dict__:
            article.snippet_html = snippet(plain_text(article.body), tokens)


def _query_string(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])


# --- Staff knowledge base ---------------------------------------------------------------------------
@perm_required("knowledge.view_article")
def article_list(request):
    form = SearchForm(request.GET or None)
    query, filters = "", selectors.SearchFilters()
    if form.is_valid():
        d = form.cleaned_data
        query = d["q"]
        filters = selectors.SearchFilters(
            category=d["category"].pk if d["category"] else None, product=d["product"].strip(),
            visibility=d["visibility"], status=d["status"] if selectors.can_edit(request.user) else "",
        )
    results, tokens = selectors.article_search(selectors.articles_visible_to(request.user), query=query, filters=filters)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    _decorate(page, tokens)
    return render(request, "knowledge/list.html", {
        "form": form, "page": page, "query": query, "query_string": _query_string(request),
        "can_edit": selectors.can_edit(request.user),
    })


def _visible_article(request, pk) -> Article:
    qs = selectors.articles_visible_to(request.user).select_related("category", "author", "owner").prefetch_related("tags")
    return get_object_or_404(qs, pk=pk)


@perm_required("knowledge.view_article")
def article_detail(request, pk):
    article = _visible_article(request, pk)
    is_responsible = request.user.pk in (article.author_id, article.owner_id) or selectors.can_edit(request.user)
    my_vote = ArticleVote.objects.filter(article=article, user=request.user).values_list("helpful", flat=True).first()
    return render(request, "knowledge/detail.html", {
        "article": article,
        "can_edit": selectors.can_edit(request.user),
        "can_publish": request.user.has_perm("knowledge.publish_article"),
        "show_votes": is_responsible,
        "my_vote": my_vote,
        "transitions": [Article.Status(s) for s in sorted(services.TRANSITIONS[article.status])],
        "review_overdue": article.review_by and article.review_by < timezone.localdate(),
    })


@perm_required("knowledge.add_article")
def article_create(request):
    form = ArticleForm(request.POST or None, initial={"visibility": Article.Visibility.INTERNAL})
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(data=form.to_input(), author=request.user, note=form.cleaned_data["change_note"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Draft saved. Publish it when it is ready."))
            return redirect("knowledge:detail", pk=article.pk)
    return render(request, "knowledge/form.html", {"form": form, "article": None})


@perm_required("knowledge.change_article")
def article_edit(request, pk):
    article = _visible_article(request, pk)
    form = ArticleForm(request.POST or None, initial=ArticleForm.initial_for(article))
    if request.method == "POST" and form.is_valid():
        try:
            services.article_update(article=article, data=form.to_input(), actor=request.user,
                                    note=form.cleaned_data["change_note"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved as a new version."))
            return redirect("knowledge:detail", pk=article.pk)
    return render(request, "knowledge/form.html", {"form": form, "article": article})


@require_POST
@perm_required("knowledge.publish_article")
def article_status(request, pk):
    article = _visible_article(request, pk)
    try:
        services.article_transition(article=article, to_status=request.POST.get("to", ""), actor=request.user)
    except (ValidationError, ValueError) as exc:
        messages.error(request, _error_text(exc) if isinstance(exc, ValidationError) else _("Unknown status."))
    else:
        messages.success(request, _("Status changed."))
    return redirect("knowledge:detail", pk=article.pk)


@perm_required("knowledge.view_article")
def article_history(request, pk):
    article = _visible_article(request, pk)
    versions = selectors.article_versions(article)
    events = article.events.select_related("actor")
    return render(request, "knowledge/history.html", {
        "article": article, "versions": versions, "events": events,
        "can_edit": selectors.can_edit(request.user),
    })


@perm_required("knowledge.view_article")
def version_detail(request, pk, number):
    article = _visible_article(request, pk)
    version = get_object_or_404(article.versions.select_related("changed_by"), number=number)
    previous = article.versions.filter(number__lt=number).order_by("-number").first()
    return render(request, "knowledge/version.html", {
        "article": article, "version": version, "previous": previous,
        "body_html": render_markdown(version.body),
        "title_diff": diff_lines(previous.title if previous else "", version.title),
        "body_diff": diff_lines(previous.body if previous else "", version.body),
        "can_edit": selectors.can_edit(request.user),
    })


@require_POST
@perm_required("knowledge.change_article")
def version_restore(request, pk, number):
    article = _visible_article(request, pk)
    version = get_object_or_404(article.versions, number=number)
    article = services.article_restore_version(article=article, version=version, actor=request.user)
    messages.success(request, _("Version %(number)s restored as version %(new)s.") % {"number": number, "new": article.version})
    return redirect("knowledge:detail", pk=article.pk)


@require_POST
@perm_required("knowledge.view_article")
def article_vote(request, pk):
    article = _visible_article(request, pk)
    helpful = request.POST.get("helpful") == "1"
    try:
        services.article_vote(article=article, helpful=helpful, user=request.user, ip=client_ip(request))
    except ValidationError as exc:
        messages.warning(request, _error_text(exc))
    else:
        messages.success(request, _("Thank you for your feedback."))
    return redirect("knowledge:detail", pk=article.pk)


@perm_required("knowledge.change_article")
def review_list(request):
    page = Paginator(selectors.review_due(owner=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "knowledge/review.html", {"page": page, "today": timezone.localdate()})


# --- Ticket panel -----------------------------------------------------------------------------------
def _ticket_with_asset(ticket_id):
    from tickets.models import Ticket

    return Ticket.objects.select_related("asset").filter(pk=ticket_id)


def _ticket(ticket_id):
    ticket = compiled_one("knowledge.panel_ticket", _ticket_with_asset, ticket_id)
    if ticket is None:
        raise Http404
    return ticket


def _ticket_links(ticket_id):
    return ArticleTicketLink.objects.filter(ticket_id=ticket_id).select_related("article", "linked_by").order_by("created_at")


def _panel(request, ticket, status=200):
    """The ticket page's suggestions panel (a request of its own, loaded after the page): the ticket and its
    links are read with SQL compiled once per process; the suggestions' SQL depends on the ticket's words."""
    suggestions, tokens = selectors.ticket_suggestions(ticket)
    links = compiled_objects("knowledge.panel_links", _ticket_links, ticket.pk)
    linked_ids = {link.article_id for link in links}
    for article in suggestions:
        article.title_html = highlight(article.title, tokens)
    from tickets import services as ticket_services

    return render(request, "knowledge/_suggestions_panel.html", {
        "ticket": ticket, "suggestions": suggestions, "links": links, "linked_ids": linked_ids,
        "can_link": request.user.has_perm("knowledge.link_article"),
        "can_reply": request.user.has_perm("knowledge.link_article") and request.user.has_perm("tickets.reply_ticket")
        and hasattr(ticket_services, "ticket_reply"),
    }, status=status)


@perm_required("knowledge.view_article", "tickets.view_ticket")
def ticket_suggestions(request, ticket_id):
    return _panel(request, _ticket(ticket_id))


def _back_to_ticket(request, ticket):
    if request.htmx:
        return _panel(request, ticket)
    try:
        return redirect(reverse("tickets:detail", args=[ticket.pk]))
    except Exception:  # the ticket page's URL is the tickets area's; fall back to the panel itself
        return redirect("knowledge:ticket_suggestions", ticket_id=ticket.pk)


def _posted_id(request) -> int:
    """The article id a panel form posted; anything that is not a number is simply not found."""
    return id_param(request.POST.get("article")) or 0


def _published(pk: int) -> Article:
    return get_object_or_404(Article.objects.filter(status=Article.Status.PUBLISHED), pk=pk)


@require_POST
@perm_required("knowledge.link_article", "tickets.view_ticket")
def ticket_link(request, ticket_id):
    ticket = _ticket(ticket_id)
    article = _published(_posted_id(request))
    try:
        services.article_link_ticket(article=article, ticket=ticket, actor=request.user)
    except ValidationError as exc:
        messages.warning(request, _error_text(exc))
    else:
        messages.success(request, _("Linked “%(title)s” as the solution.") % {"title": article.title})
    return _back_to_ticket(request, ticket)


@require_POST
@perm_required("knowledge.link_article", "tickets.view_ticket")
def ticket_unlink(request, ticket_id):
    ticket = _ticket(ticket_id)
    article = get_object_or_404(Article, pk=_posted_id(request))
    services.article_unlink_ticket(article=article, ticket=ticket, actor=request.user)
    messages.info(request, _("Solution link removed."))
    return _back_to_ticket(request, ticket)


@require_POST
@perm_required("knowledge.link_article", "tickets.reply_ticket")
def ticket_send_reply(request, ticket_id):
    ticket = _ticket(ticket_id)
    article = _published(_posted_id(request))
    try:
        services.article_send_as_reply(article=article, ticket=ticket, actor=request.user,
                                       client_token=request.POST.get("client_token") or None)
    except ValidationError as exc:
        messages.warning(request, _error_text(exc))
    else:
        messages.success(request, _("Sent “%(title)s” to the customer.") % {"title": article.title})
    return _back_to_ticket(request, ticket)


# --- Public FAQ (no login) --------------------------------------------------------------------------
def faq(request):
    form = FaqSearchForm(request.GET or None)
    query, filters = "", selectors.SearchFilters()
    if form.is_valid():
        query = form.cleaned_data["q"]
        if form.cleaned_data["category"]:
            filters.category = form.cleaned_data["category"].pk
    results, tokens = selectors.article_search(selectors.faq_articles(), query=query, filters=filters)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    _decorate(page, tokens)
    return render(request, "knowledge/faq.html", {
        "form": form, "page": page, "query": query, "query_string": _query_string(request),
        "categories": selectors.faq_categories(),
    })


def faq_detail(request, pk):
    article = get_object_or_404(selectors.faq_articles().select_related("category"), pk=pk)
    return render(request, "knowledge/faq_detail.html", {"article": article})


@require_POST
def faq_vote(request, pk):
    article = get_object_or_404(selectors.faq_articles(), pk=pk)
    user = request.user if request.user.is_authenticated else None
    try:
        services.article_vote(article=article, helpful=request.POST.get("helpful") == "1", user=user, ip=client_ip(request))
    except ValidationError as exc:
        messages.info(request, _error_text(exc))
    else:
        messages.success(request, _("Thank you for your feedback."))
    return redirect("knowledge:faq_detail", pk=article.pk)
