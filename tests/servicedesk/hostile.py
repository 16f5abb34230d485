"""The hostile-input walk (issue 13 item 5): every URL pattern, every role, hostile values.

Shared by the test (tests/servicedesk/test_hostile_input.py) so the walk can also be run by hand
against a database with demo data. Nothing here mocks anything: real requests through the test client.
"""
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, reverse

HUGE_ID = 10**21  # 22 digits: past a 64-bit integer, which SQLite cannot even bind

# Deterministic hostile values: out-of-range dates and numbers, 22-digit ids, year 0, NUL bytes,
# 10 kB strings, characters whose case mapping changes length, emoji, full-width digits.
LONG = "x" * 10_000
UNICODE = "İstanbul ß ﬁ 😀 e\u0301 Ａ"  # case mappings that change length, an emoji, a combining mark, full width
HOSTILE_VALUES = [
    "9999-12-31",
    "0001-01-01",
    str(HUGE_ID),
    "9223372036854775808",  # 2**63: one past a 64-bit signed integer
    "0",
    "a\x00b",
    UNICODE,
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
    """The forms of a page: method, action, field names, and each GET field's current (valid) value."""

    def __init__(self, page_path=""):
        super().__init__()
        self.forms = []
        self.page_path = page_path
        self.link_params = set()  # query names of links back to the same page (?year=2026, ?tab=all)
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "?" in (attrs.get("href") or ""):
            parts = urlsplit(attrs["href"])
            if not parts.netloc and parts.path in ("", self.page_path):
                self.link_params.update(name for name, _value in parse_qsl(parts.query, keep_blank_values=True))
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action"),
                               "fields": [], "values": {}, "dates": set()})
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "option" and self._select and (self._select not in form["values"] or "selected" in attrs):
            form["values"][self._select] = attrs.get("value", "")
        name = attrs.get("name")
        if tag not in ("input", "select", "textarea", "button") or not name or name == "csrfmiddlewaretoken":
            return
        if name not in form["fields"]:
            form["fields"].append(name)
        if tag == "select":
            self._select = name
        elif tag == "input" and (attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs):
            form["values"].setdefault(name, attrs.get("value") or "")
        if attrs.get("type") in ("date", "datetime-local") or re.fullmatch(r"\d{4}-\d\d-\d\d.*", attrs.get("value") or ""):
            form["dates"].add(name)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


@dataclass
class GetForms:
    """What a page's GET forms (and links to itself) send: names, valid current values, date fields."""

    names: list = field(default_factory=list)
    baseline: dict = field(default_factory=dict)
    dates: list = field(default_factory=list)


def page_forms(html: str, page_path: str = ""):
    """(forms, GetForms) of a page."""
    parser = FormCollector(page_path)
    parser.feed(html)
    get = [f for f in parser.forms if f["method"] == "get"]
    names = {n for f in get for n in f["fields"]} | parser.link_params
    baseline = {k: v for f in get for k, v in f["values"].items() if v}
    dates = sorted({n for f in get for n in f["dates"]})
    return parser.forms, GetForms(names=sorted(names), baseline=baseline, dates=dates)


def hostile_queries(get_forms: GetForms | None = None):
    """Query strings for one page.

    1. Each hostile value in every known parameter at once (the 10 kB string only in the page's own
       names plus q and page: in all ~60 names it would make a 600 kB query string). A page with a
       steering parameter (period=month|week|day) gets each choice too, so the values reach the
       branch that reads them.
    2. Starting from the page's own valid values, each hostile value in all its date fields at once
       (start=end=0001-01-01 passes a "range at most a year" check), then in each field alone: a form
       is valid or not as a whole, so a bad value in one field would hide another field's crash.
    """
    get_forms = get_forms or GetForms()
    own = get_forms.names
    names = sorted(set(GET_PARAMS) | set(own))
    steers = [{}] + [{k: c} for k, choices in STEERING.items() if k in own for c in choices]
    for steer in steers:
        for value in HOSTILE_VALUES:
            chosen = names if value is not LONG else sorted(set(own) | {"q", "page"})
            params = {n: value for n in chosen if n not in steer}
            params.update(steer)
            yield urlencode(params)
    base = get_forms.baseline
    if len(get_forms.dates) > 1:
        for value in HOSTILE_VALUES:
            yield urlencode({**base, **{n: value for n in get_forms.dates}})
    for name in own:
        for value in HOSTILE_VALUES:
            yield urlencode({**base, name: value})


# A formset's management fields (the admin's inlines): a hostile count is probed by two values, a number
# far past any cap (Django builds at most absolute_max forms) and text; with the other values they keep the
# page's own counts, so those values reach the inline forms' fields instead of stopping at "ManagementForm
# data is missing" — and the walk does not rebuild 2,000 inline forms three times per admin form.
MANAGEMENT_FIELD = re.compile(r"-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")
COUNT_PROBES = {str(HUGE_ID), UNICODE}


def form_posts(forms, page_url):
    """(url, data) pairs: every post form of the page with each hostile value in every field (a formset's
    counts: see COUNT_PROBES)."""
    for form in forms:
        if form["method"] != "post" or not form["fields"]:
            continue
        action = form["action"] or page_url
        if urlsplit(action).netloc:
            continue
        for value in HOSTILE_VALUES:
            yield action, {name: value if value in COUNT_PROBES or not MANAGEMENT_FIELD.search(name)
                           else form["values"].get(name, value) for name in form["fields"]}


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
    "tickets:bulk_": "tickets.BulkAction",
    "tickets:": "tickets.Ticket",
    "macros:": "macros.Macro",
    "sla:policy": "sla.SLAPolicy",
    "sla:calendar": "sla.BusinessCalendar",
    "dispatch:offer_": "dispatch.Offer",
    "dispatch:": "dispatch.WorkOrder",
    "knowledge:faq": "knowledge.Article",
    "knowledge:": "knowledge.Article",
    "followups:callback": "followups.Callback",
    "reports:export": "reports.ReportExport",
    "reports:subscription": "reports.ReportSubscription",
    "outbox_retry": "servicedesk.OutboxMessage",
    "notification_open": "servicedesk.Notification",
    "portal:ticket_link": "tickets.Ticket",
    "mailin:mailbox": "mailin.Mailbox",
    "mailin:eml": "mailin.InboundEmail",
    "admin:otp_totp_totpdevice_": "otp_totp.TOTPDevice",
    "webhooks:delivery_": "webhooks.WebhookDelivery",
    "webhooks:": "webhooks.Webhook",
    "api:customer": "customers.Customer",
    "api:ticket": "tickets.Ticket",
    "api:workorder": "dispatch.WorkOrder",
    "api:token_": "api.ApiToken",
    "telephony:": "telephony.Call",
    "monitoring:rule": "monitoring.AnomalyRule",
    "assessment:form": "assessment.EvaluationTask",
    "assessment:cycle": "assessment.Cycle",
    "assessment:result_": "assessment.Result",
    "assessment:evaluator_remove": "assessment.EvaluatorAssignment",
    "quality:slip_": "quality.DemeritSlip",
    "quality:inspect": "quality.InspectionTask",
    "quality:finding_": "quality.Finding",
    "contracts:reminder_done": "contracts.Reminder",
    "contracts:": "contracts.ServiceContract",
    "leads:record": "tickets.Ticket",
    "leads:": "leads.LeadOutcome",
    "improvement:": "improvement.ImprovementAction",
    "maintenance:": "maintenance.MaintenancePlan",
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
    elif kw == "token" and route.name == "portal:status":
        from portal.services import status_token

        return "x" * 300 if huge else status_token(_first("tickets.Ticket"))
    elif kw == "token" and route.name == "portal:sms_inbound":
        return "x" * 300 if huge else "not-the-token"
    elif kw == "token":
        from followups.services import survey_token

        return "x" * 300 if huge else survey_token(_first("followups.SurveyInvitation"))
    elif kw == "event":  # portal:template_edit*
        return "x" * 300 if huge else "ack"
    elif kw == "kind":
        return "x" * 300 if huge else "repair"
    elif kw == "action":
        return "reply"
    elif kw == "uidb64":  # a password-reset link: user 1, base64
        return "x" * 300 if huge else "MQ"
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
    if huge or obj is None:  # None: an earlier POST of the walk deleted the fixture's object (404 is fine)
        return HUGE_ID
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
