"""The wording of messages to customers: built-in defaults, a manager's templates, and the variables.

A template is plain text with ``{name}`` variables (listed in VARIABLES, shown on the editing page).
``render`` never fails on a template: an unknown variable is left as typed and the editing form refuses
it before it is saved, so a manager's typo cannot stop messages.
"""
import string
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import MessageEvent, MessageTemplate

VARIABLES = {
    "service": _("the department's public name"),
    "hotline": _("the hotline number"),
    "name": _("the customer's name"),
    "number": _("the ticket number"),
    "kind": _("what was received (repair request, complaint…)"),
    "subject": _("the ticket's subject"),
    "promised": _("the promised answer time from the SLA clock"),
    "link": _("the status page link"),
    "technician": _("the technician's surname"),
    "window": _("the visit window"),
    "result": _("the result, when resolved"),
}

# Which variables make sense for which event (the editing page lists these, the form checks them).
EVENT_VARIABLES = {
    MessageEvent.ACKNOWLEDGED: ["service", "hotline", "name", "number", "kind", "subject", "promised", "link"],
    MessageEvent.VISIT_BOOKED: ["service", "hotline", "name", "number", "technician", "window", "link"],
    MessageEvent.VISIT_REMINDER: ["service", "hotline", "name", "number", "technician", "window", "link"],
    MessageEvent.WAITING: ["service", "hotline", "name", "number", "subject", "link"],
    MessageEvent.RESOLVED: ["service", "hotline", "name", "number", "subject", "result", "link"],
}

# Built-in wording (both languages written out: a template is data, so it is not gettext's to translate).
DEFAULTS = {
    MessageEvent.ACKNOWLEDGED: (
        "【{service}】已收到您的{kind}，单号{number}，我们将在{promised}前答复。进度：{link}",
        "{service}: we received your {kind}, number {number}. We will answer by {promised}. Progress: {link}",
    ),
    MessageEvent.VISIT_BOOKED: (
        "【{service}】{number}已安排{technician}上门，时间{window}。进度：{link}",
        "{service}: {technician} will visit for {number}, {window}. Progress: {link}",
    ),
    MessageEvent.VISIT_REMINDER: (
        "【{service}】提醒：{technician}明天{window}上门处理{number}。改约请致电{hotline}",
        "{service}: reminder, {technician} visits tomorrow {window} for {number}. To change it call {hotline}",
    ),
    MessageEvent.WAITING: (
        "【{service}】{number}需要您补充信息，请查看：{link}",
        "{service}: we need a little more from you on {number}. Please see {link}",
    ),
    MessageEvent.RESOLVED: (
        "【{service}】{number}已处理：{result}。如未解决请告诉我们：{link}",
        "{service}: {number} is resolved: {result}. Not fixed? Tell us: {link}",
    ),
}

# The acknowledgement without a promised time (a ticket with no SLA clock running): "we will answer by ___" would
# promise nothing, so the message says what is true instead.
NO_PROMISE = (
    "【{service}】已收到您的{kind}，单号{number}，我们会尽快答复。进度：{link}",
    "{service}: we received your {kind}, number {number}. We will answer as soon as we can. Progress: {link}",
)

# The acknowledgement is essential: it is sent even to a customer who stopped progress messages, and
# a manager can reword it but not switch it off.
ESSENTIAL = {MessageEvent.ACKNOWLEDGED}


@dataclass(frozen=True)
class Wording:
    enabled: bool
    text_zh: str
    text_en: str
    customised: bool

    def text(self, language: str) -> str:
        return self.text_en if (language or "").startswith("en") else self.text_zh

    def text_for(self, language: str, values: dict) -> str:
        """The text to send with these values: when it needs a promised time and there is none, the built-in
        wording without one (a manager's template cannot say "by ___" either)."""
        text = self.text(language)
        if not values.get("promised") and "promised" in variables_used(text):
            zh, en = NO_PROMISE
            return en if (language or "").startswith("en") else zh
        return text


def wording(event: str, kind: str, rows: list[MessageTemplate] | None = None) -> Wording:
    """The wording for an event and a ticket kind: the kind's own template, else the all-kinds one,
    else the built-in default. ``rows`` lets a caller that already read the templates skip the query."""
    if rows is None:
        rows = MessageTemplate.all_cached()
    by_kind = {r.kind: r for r in rows if r.event == event}
    row = by_kind.get(kind) or by_kind.get("")
    if row is not None:
        return Wording(enabled=row.enabled or event in ESSENTIAL, text_zh=row.text_zh, text_en=row.text_en,
                       customised=True)
    zh, en = DEFAULTS[event]
    return Wording(enabled=True, text_zh=zh, text_en=en, customised=False)


class _Keep(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def render(text: str, values: dict) -> str:
    """Fill the variables; unknown ones stay as typed, braces that are not variables stay too."""
    try:
        return string.Formatter().vformat(text, (), _Keep(values))
    except (ValueError, IndexError, AttributeError):  # a stray "{" or "{0}" in a manager's text
        out = text
        for key, value in values.items():
            out = out.replace("{" + key + "}", str(value))
        return out


def variables_used(text: str) -> list[str]:
    """The ``{name}`` variables a template uses (for the form's check), in order; [] on broken braces."""
    try:
        return [field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field is not None]
    except ValueError:
        return ["{"]


def sample_values(language: str) -> dict:
    """Example values for the preview on the editing page."""
    if language.startswith("en"):
        return {"service": "Customer service", "hotline": "400-800-1234", "name": "Ms Wang", "number": "SR-2026-000123",
                "kind": "repair request", "subject": "Air conditioner leaking", "promised": "30 Nov 12:00",
                "link": "https://example.cn/t/8f2k-4hQ9xZ2", "technician": "Zhang", "window": "1 Dec 09:00–11:00",
                "result": "drain pipe cleared"}
    return {"service": "客户服务中心", "hotline": "400-800-1234", "name": "王女士", "number": "SR-2026-000123",
            "kind": "报修", "subject": "空调漏水", "promised": "11月30日 12:00", "link": "https://example.cn/t/8f2k-4hQ9xZ2",
            "technician": "张师傅", "window": "12月1日 09:00–11:00", "result": "排水管已疏通"}
