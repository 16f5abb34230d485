"""Dispatch's seam for other areas (callbacks, surveys, reports).

Sent by dispatch.services inside the closing transaction, after the work order is saved, so a
receiver's writes commit or roll back with the close. Receivers must be quick and enqueue anything
slow with servicedesk.queue.enqueue_on_commit.
"""
from django.dispatch import Signal

# A work order was closed (signed off by the customer and closed by the technician or a supervisor).
# kwargs: work_order (dispatch.models.WorkOrder, with .ticket, .technician, .closed_at), now
workorder_closed = Signal()

# A technician accepted a work order: the visit is booked (the customer is told who comes and when).
# kwargs: work_order (with .ticket, .technician, .window_start, .window_end), now
workorder_booked = Signal()
