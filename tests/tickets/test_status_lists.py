"""Ticket.Meta writes the statuses out as literals (a nested class cannot see Ticket.Status): the
check constraint must allow exactly the statuses the model has, and every "open tickets" partial
index must cover exactly Ticket.OPEN_STATUSES — a status added to one place and not the others
would make saves fail (constraint) or lists slow and wrong on PostgreSQL (index)."""
from tickets.models import Ticket


def _status_in(q):
    (lookup, values), = [c for c in q.children if isinstance(c, tuple) and c[0] == "status__in"]
    return set(values)


def test_status_check_constraint_allows_exactly_the_models_statuses():
    (constraint,) = [c for c in Ticket._meta.constraints if c.name == "ticket_status_valid"]
    assert _status_in(constraint.condition) == set(Ticket.Status.values)


def test_open_list_indexes_cover_exactly_the_open_statuses():
    partial = [i for i in Ticket._meta.indexes if i.condition is not None and "status__in" in str(i.condition)]
    assert {i.name for i in partial} >= {"ticket_open_new_idx", "ticket_open_assignee_new_idx", "ticket_unassigned_idx",
                                         "ticket_assignee_due_idx", "ticket_team_due_idx", "ticket_unassigned_due_idx"}
    for index in partial:
        if index.name == "ticket_first_inquiry_due_idx":
            continue  # below: that tab keeps resolved tickets too
        assert _status_in(index.condition) == set(Ticket.OPEN_STATUSES), index.name


def test_first_inquiry_index_covers_exactly_the_first_inquiry_statuses():
    """Issue 17: the first-inquiry owner sees the ticket "until it closes", so "My first-inquiry tickets" and its
    index cover the open statuses plus resolved (Ticket.FIRST_INQUIRY_STATUSES), not OPEN_STATUSES."""
    (index,) = [i for i in Ticket._meta.indexes if i.name == "ticket_first_inquiry_due_idx"]
    assert _status_in(index.condition) == set(Ticket.FIRST_INQUIRY_STATUSES)
    assert set(Ticket.FIRST_INQUIRY_STATUSES) == set(Ticket.OPEN_STATUSES) | {Ticket.Status.RESOLVED}
