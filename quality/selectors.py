"""Reads of the quality area. The assessment app's score calls deductions_by_person()."""
from datetime import datetime
from decimal import Decimal


def deductions_by_person(*, start: datetime, end: datetime, user_ids=None) -> dict[int, dict[str, Decimal]]:
    """Points deducted per person for what happened in [start, end) (aware datetimes, local month
    bounds from reports.periods), as {user_id: {"demerits": Decimal, "qa": Decimal}}: demerit slips and
    quality-inspection findings, both as positive points to subtract. People with nothing deducted are
    absent. A fixed number of queries (SQL aggregates) whatever the number of people."""
    return {}  # interface only: the quality area fills this in
