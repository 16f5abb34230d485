"""Chart.js configurations built from a report's (already aggregated) figures."""
from django.utils.translation import gettext as _, pgettext

PALETTE = ["#0d6efd", "#198754", "#ffc107", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d"]


def _bar(labels, datasets, *, horizontal=False, stacked=False, max_=None, counts=False):
    """A Chart.js bar chart. `counts`: whole numbers only on the value axis (no 0.1 … 1.0 ticks for a count of 1)."""
    scale = {"beginAtZero": True}
    if max_ is not None:
        scale["max"] = max_
    if counts:
        scale["ticks"] = {"precision": 0}
    scales = {"x": {"stacked": stacked}, "y": {"stacked": stacked}}
    scales["x" if horizontal else "y"].update(scale)
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": [
            {"label": str(label), "data": data, "backgroundColor": PALETTE[i % len(PALETTE)]}
            for i, (label, data) in enumerate(datasets)]},
        "options": {"indexAxis": "y" if horizontal else "x", "maintainAspectRatio": False,
                    "plugins": {"legend": {"display": len(datasets) > 1}}, "scales": scales},
    }


def _doughnut(labels, data):
    return {"type": "doughnut", "data": {"labels": labels, "datasets": [
        {"data": data, "backgroundColor": PALETTE[: len(data)]}]},
        "options": {"maintainAspectRatio": False, "plugins": {"legend": {"position": "right"}}}}


# Rates: 0 % is a finding (every clock missed), only "no value" is empty. Counts: all zero is empty.
RATE_CHARTS = {"sla_targets", "surveys_dimensions"}


def _has_data(name: str, config: dict) -> bool:
    """A chart is worth drawing only when it has something to show: an empty frame next to
    "Nothing in this period." says nothing twice."""
    values = [v for d in config["data"]["datasets"] for v in d["data"]]
    if name in RATE_CHARTS:
        return any(v is not None for v in values)
    return any(values)


def build(data: dict) -> dict:
    """The charts of a report; a chart without data is left out (the template shows no empty frame)."""
    charts = _build(data)
    return {name: config for name, config in charts.items() if _has_data(name, config)}


def _build(data: dict) -> dict:
    charts = {}
    if "contacts" in data:
        c = data["contacts"]
        charts["contacts_hour"] = _bar([f"{h:02d}" for h in range(24)], [(_("Contacts"), c["by_hour"])])
        charts["contacts_channel"] = _doughnut([r["channel"] for r in c["by_channel"]],
                                               [r["count"] for r in c["by_channel"]])
    if "tickets" in data:
        k = data["tickets"]["by_kind"]
        charts["tickets_kind"] = _bar([r["kind"] for r in k], [
            (pgettext("count", "Opened"), [r["opened"] for r in k]), (pgettext("count", "Resolved"), [r["resolved"] for r in k]),
            (pgettext("count", "Closed"), [r["closed"] for r in k])])
    if "sla" in data:
        t = data["sla"]["targets"]
        charts["sla_targets"] = _bar([r["target"] for r in t], [(_("Compliance (%)"), [r["compliance"] for r in t])],
                                     max_=100)
    if "complaints" in data:
        cat = data["complaints"]["by_category"]
        charts["complaints_category"] = _bar([r["category"] for r in cat], [(_("Complaints"), [r["count"] for r in cat])],
                                             horizontal=True)
    if "callbacks" in data:
        f = data["callbacks"]["figures"]
        charts["callbacks"] = _doughnut(
            [_("Done on time"), _("Done late"), _("Overdue"), _("Unreachable")],
            [f["done_on_time"]["value"], f["done_late"]["value"], f["overdue"]["value"], f["unreachable"]["value"]])
    if "surveys" in data:
        d = data["surveys"]["dimensions"]
        charts["surveys_dimensions"] = _bar([r["label"] for r in d], [(_("Average (1–5)"), [r["value"] for r in d])],
                                            horizontal=True, max_=5)
    if "technicians" in data:
        t = data["technicians"]["technicians"]
        charts["technicians_jobs"] = _bar([r["name"] for r in t], [(_("Jobs done"), [r["jobs"] for r in t])])
    if "faults" in data:
        f = data["faults"]["faults"]
        charts["faults"] = _bar([f"{r['product']} {r['model']} · {r['cause']}".strip() for r in f],
                                [(_("Tickets"), [r["count"] for r in f])], horizontal=True)
    return charts
