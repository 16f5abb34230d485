"""The hostile-input walk (issue 13 item 5): every URL pattern, every role, hostile values.

Shared by the test (tests/servicedesk/test_hostile_input.py) so the walk can also be run by hand
against a database with demo data. Nothing here mocks anything: real requests through the test client.
"""
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, reverse

HUGE_ID = 10**21  # 22 digits: past a 64-bit integer, which SQLite cannot even bind

# Deterministic hostile values: out-of-range dates and numbers, 22-digit ids, year 0, NUL bytes,
# 10 kB strings, characters whose case mapping changes length, emoji, full-width digits.
LONG = "x" * 10_000
HOSTILE_VALUES = [
    "9999-12-31",
    "0001-01-01",
    str(HUGE_ID),
    "9223372036854775808",  # 2**63: one past a 64-bit signed integer
    "0",
    "a\x00b",
    "İstanbul ß ﬁ 😀 e\u0301 Ａ",
    "１" + "０" * 21,  # full-width digits: str.isdigit() and int() accept them
    LONG,
]

# Query parameters read by views (request.GET, forms, filters) — unioned with the names of the
# GET forms each page renders, so a new filter is walked without being listed here.
GET_PARAMS = [
    "q", "page", "customer", "contact", "asset", "kind", "channel", "other", "tab", "sort", "status", "priority",
    "tier", "assignee", "created_from", "created_to", "owner", "segment", "max_overall", "min_overall", "lang",
    "cause", "product", "model", "team", "at_risk", "breached", "target", "met", "agent", "unassigned", "year",
    "start", "end", "period", "date", "month", "category", "state", "region", "ticket", "next", "visibility",
    "tag", "from", "to", "day", "week", "technician", "e", "o", "p", "_changelist_filters",
]
# Values that steer a view to the branch where the other parameters are used.
STEERING = {"period": ["month", "week", "day"]}


@dataclass
class Route:
    name: str  # "namespace:name"
    pattern: str
    kwargs: list = field(default_factory=list)


def iter_routes(resolver=None, prefix="", namespace=None):
    """Every named URL pattern under the root resolver (admin included)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            full_ns = ":".join(p for p in (namespace, ns) if p) if ns else namespace
            yield from iter_routes(entry, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            if not entry.name:
                continue
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            pattern = prefix + str(entry.pattern)
            yield Route(name=name, pattern=pattern, kwargs=list(entry.pattern.converters) or _regex_kwargs(pattern))


def _regex_kwargs(pattern):
    return re.findall(r"\(\?P<(\w+)>", pattern)


class FormCollector(HTMLParser):
    """The forms of a page: method, action and field names (enough to post hostile values back)."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action"),
                               "fields": []})
        elif tag in ("input", "select", "textarea", "button") and self.forms and attrs.get("name"):
            name = attrs["name"]
            if name != "csrfmiddlewaretoken" and name not in self.forms[-1]["fields"]:
                self.forms[-1]["fields"].append(name)


def page_forms(html: str):
    parser = FormCollector()
    parser.feed(html)
    return parser.forms


def hostile_queries(form_names=()):
    """Query strings: each hostile value in every known parameter at once.

    The 10 kB string goes only into the parameters the page's own GET forms name (plus q and page):
    in all ~60 names it would make a 600 kB query string and triple the walk's time. When the page
    has a steering parameter (period=month|week|day), each of its choices is walked too, so the values
    reach the branch that reads them.
    """
    names = sorted(set(GET_PARAMS) | set(form_names))
    steers = [{}] + [{k: c} for k, choices in STEERING.items() if k in form_names for c in choices]
    for steer in steers:
        for value in HOSTILE_VALUES:
            chosen = names if value is not LONG else sorted(set(form_names) | {"q", "page"})
            params = {n: value for n in chosen if n not in steer}
            params.update(steer)
            yield urlencode(params)


def form_posts(forms, page_url):
    """(url, data) pairs: every post form of the page with each hostile value in every field."""
    for form in forms:
        if form["method"] != "post" or not form["fields"]:
            continue
        action = form["action"] or page_url
        if urlsplit(action).netloc:
            continue
        for value in HOSTILE_VALUES:
            yield action, {name: value for name in form["fields"]}


def url_for(route: Route, resolve_kwarg, huge=False):
    kwargs = {}
    for kw in route.kwargs:
        kwargs[kw] = resolve_kwarg(route, kw, huge)
    return reverse(route.name, kwargs=kwargs)


# --- Path ids: real objects (the first row of the model the URL is about) or a 22-digit id ----------
def _first(label):
    from django.apps import apps

    return apps.get_model(label).objects.order_by("pk").first()


# url name (or its prefix) -> model label for "pk"-like kwargs
PK_MODELS = {
    "customers:asset_edit": "customers.Asset",
    "customers:": "customers.Customer",
    "tickets:": "tickets.Ticket",
    "sla:policy": "sla.SLAPolicy",
    "sla:calendar": "sla.BusinessCalendar",
    "dispatch:offer_": "dispatch.Offer",
    "dispatch:": "dispatch.WorkOrder",
    "knowledge:faq": "knowledge.Article",
    "knowledge:": "knowledge.Article",
    "followups:callback": "followups.Callback",
    "reports:export": "reports.ReportExport",
    "reports:subscription": "reports.ReportSubscription",
}


def _model_for(route):
    for prefix, label in PK_MODELS.items():
        if route.name == prefix or (prefix.endswith((":", "_")) and route.name.startswith(prefix)) \
                or route.name.startswith(prefix):
            return label
    raise LookupError(f"hostile walk: no model for {route.name}; add it to PK_MODELS")


def resolve_kwarg(route, kw, huge=False):
    """A real value for a path kwarg (or a 22-digit id when huge)."""
    if kw in ("ticket_id", "ticket_pk"):
        obj = _first("tickets.Ticket")
    elif kw == "attachment_id":
        obj = _first("tickets.TicketAttachment")
    elif kw == "day_id":
        obj = _first("sla.CalendarDay")
    elif kw == "number":
        version = _first("knowledge.ArticleVersion")
        return HUGE_ID if huge else version.number
    elif kw == "token":
        from followups.services import survey_token

        return "x" * 300 if huge else survey_token(_first("followups.SurveyInvitation"))
    elif kw == "action":
        return "reply"
    elif route.name == "admin:view_on_site":
        return {"content_type_id": 1, "object_id": HUGE_ID if huge else 1}[kw]
    elif kw == "id" and route.name == "admin:auth_user_password_change":
        obj = _first("auth.User")
    elif kw == "app_label":
        return _admin_app(route)
    elif kw == "object_id":
        model = _admin_model(route)
        obj = model.objects.order_by("pk").first()
        return str(HUGE_ID) if huge or obj is None else str(obj.pk)
    elif kw == "url":
        return "nowhere/"
    elif kw == "pk":
        if route.name.startswith("knowledge:faq"):
            from knowledge.models import Article

            obj = Article.objects.filter(status="published", visibility="public").order_by("pk").first()
        elif route.name == "tickets:attachment":
            obj = _first("tickets.TicketAttachment").ticket
        elif route.name == "sla:calendar_day_delete":
            obj = _first("sla.CalendarDay").calendar
        elif route.name in ("knowledge:version", "knowledge:restore"):
            obj = _first("knowledge.ArticleVersion").article
        else:
            obj = _first(_model_for(route))
    else:
        raise LookupError(f"hostile walk: no value for {route.name}({kw})")
    if huge:
        return HUGE_ID
    assert obj is not None, f"hostile walk: the fixture made no object for {route.name}({kw})"
    return obj.pk


def _admin_models():
    from django.contrib import admin

    return {f"admin:{m._meta.app_label}_{m._meta.model_name}_": m for m in admin.site._registry}


def _admin_model(route):
    for prefix, model in _admin_models().items():
        if route.name.startswith(prefix):
            return model
    raise LookupError(route.name)


def _admin_app(route):
    from django.contrib import admin

    return sorted({m._meta.app_label for m in admin.site._registry})[0]
