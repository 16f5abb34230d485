"""Domain events other areas react to (SLA clocks, dispatch, callbacks, surveys, knowledge).

Sent by tickets.services inside the write's transaction, after the row is saved, so a receiver's
writes commit or roll back together with the change. Receivers must be quick and must not call
external services directly (enqueue with servicedesk.queue.enqueue_on_commit instead).
Every signal passes `ticket` and `now` (the moment of the change, pinned in tests).
"""
from django.dispatch import Signal

# A ticket was opened. kwargs: ticket, now
ticket_opened = Signal()

# The status moved. kwargs: ticket, old_status, new_status, actor (None = system), now
ticket_status_changed = Signal()

# The first public reply or documented answer was given. kwargs: ticket, now
ticket_first_response = Signal()

# Priority, kind-relevant fields or the customer's tier changed what policy matches. kwargs: ticket, field, before, after, now
ticket_changed = Signal()

# A complaint milestone was reached. kwargs: ticket, milestone ("investigated" | "solution_sent" |
# "return_visit"), now; for "return_visit" also actor, outcome, notes and via_callback (True when the
# callbacks area recorded it while completing its callback: receivers must not complete it again).
complaint_milestone = Signal()

# A complaint hand-off to a responsible department moved (issue 17). kwargs: ticket, handoff, event
# ("started" | "accepted" | "refused" | "findings" | "withdrawn"), now. The SLA area starts and stops the
# hand-off's department clocks from it.
complaint_handoff = Signal()
