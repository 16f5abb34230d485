"""Reads of live monitoring. The assessment form shows staff_facts() beside each item."""
from dataclasses import dataclass
from datetime import datetime


@dataclass
class StaffFacts:
    """What the system knows about one person's work in a span. None = nothing to measure."""

    contacts_handled: int = 0
    avg_handling_seconds: float | None = None  # contact start → end
    first_response_compliance: float | None = None  # % of their tickets' first responses within target
    callbacks_on_time: float | None = None  # % of their callbacks made by the due time
    csat: float | None = None  # average survey score on their tickets
    surveys: int = 0
    valid_complaints: int = 0  # tickets.selectors.valid_staff_complaints_by_person
    first_contact_resolution: float | None = None  # % (definition in monitoring.selectors)
    sla_at_risk: int = 0  # their open tickets whose clock is at risk now


def staff_facts(*, user_ids, start: datetime, end: datetime) -> dict[int, StaffFacts]:
    """Objective facts per person for [start, end): {user_id: StaffFacts}.
    A fixed number of queries whatever the number of people."""
    return {}  # interface only: the monitoring area fills this in
