"""Demo: the Chinese calendar and default policies (idempotent), and clocks for this run's demo
tickets that were loaded without them (e.g. bulk-loaded). No sweep here: the worker's first beat tick
(within a minute of `make run`) fires what is due, and a loader must never sweep people's real
tickets (issue 11 item 10). Re-running adds nothing: clocks are created only where missing."""
from django.db.models import Exists, OuterRef

from .calendars import default_calendar
from .defaults import install_policies
from .models import SLAClock, SLAPolicy, SLATarget, Target
from . import services


def load(*, stdout, options):
    from tickets.models import Ticket

    default_calendar()
    install_policies(SLAPolicy, SLATarget)
    missing = (
        Ticket.objects.filter(pk__in=options.get("demo_tickets") or ())
        .filter(~Exists(SLAClock.objects.filter(ticket=OuterRef("pk"))))
        .select_related("customer").order_by("pk")
    )
    backfilled = 0
    for ticket in missing:
        services.clocks_start(ticket=ticket, now=ticket.created_at)
        if ticket.first_response_at:
            services.clocks_stop(ticket=ticket, now=ticket.first_response_at, targets=[Target.FIRST_RESPONSE])
        if ticket.status in ("resolved", "closed"):
            services.clocks_stop(ticket=ticket, now=ticket.resolved_at or ticket.closed_at or ticket.updated_at)
        elif ticket.status == "cancelled":
            services.clocks_stop(ticket=ticket, now=ticket.updated_at, decide=False)
        elif ticket.status == "waiting":
            services.clocks_pause(ticket=ticket, now=ticket.updated_at)
        backfilled += 1
    stdout.write(f"SLA: clocks for {backfilled} tickets; the worker's first sweep fires what is due.")
    from . import rollup

    rollup.rebuild(stdout=stdout)  # idempotent; also counts clocks other areas' demo data wrote in bulk
