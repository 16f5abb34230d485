"""servicedesk.bulk.insert_many writes exactly what bulk_create writes (issue 14: the escalation
job's bell entries, outbox e-mails and timeline events go through it), on SQLite and PostgreSQL."""
from contextlib import nullcontext
from datetime import datetime, timezone as dt_timezone

import pytest
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy

from servicedesk.bulk import insert_many
from servicedesk.models import Notification, OutboxMessage
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 3, 8, 30, 15, 123456, tzinfo=dt_timezone.utc)


def _rows(model, ids):
    return [{k: v for k, v in model_to_dict(o).items() if k != "id"} for o in model.objects.filter(pk__in=ids).order_by("pk")]


def test_insert_many_writes_what_bulk_create_writes(customer_factory, personas):
    ticket = ticket_create(customer=customer_factory(), kind="repair", subject="Printer jams", created_by=personas.frontdesk)

    def events():
        return [
            TicketEvent(ticket=ticket, actor=None, kind="priority", field="priority", before=2, after=1,
                        message="SLA breached: 响应", created_at=AT),
            TicketEvent(ticket=ticket, actor=personas.agent, kind="note", field="", before={"a": [1, "二"]}, after=None,
                        message="", created_at=AT),
            # a choices member and a lazy string go through the field's own preparation
            TicketEvent(ticket=ticket, actor=None, kind=gettext_lazy("status"), field="status",
                        before=Ticket.Priority.HIGH, after=None, message=gettext_lazy("Closed"), created_at=AT),
        ]

    def notes():
        return [Notification(recipient=personas.supervisor, message="SLA breached: T-1", url="/tickets/1/",
                             kind="sla_breach", group="ticket:1", channel="both") for _ in range(2)]

    def mails(offset):
        return [OutboxMessage(kind="notification.email", channel="email", to="sup@example.com", subject="s", body="b",
                              source_type="servicedesk.notification", source_id=offset + i, idempotency_key=f"k{offset + i}",
                              status="pending", next_attempt_at=AT, created_at=AT) for i in range(2)]

    for make in (events, notes):
        ours, theirs = insert_many(make()), type(make()[0]).objects.bulk_create(make())
        assert all(o.pk and not o._state.adding for o in ours)
        assert _rows(type(ours[0]), [o.pk for o in ours]) == _rows(type(ours[0]), [o.pk for o in theirs])
    ours, theirs = insert_many(mails(100)), OutboxMessage.objects.bulk_create(mails(200))
    differ = ("idempotency_key", "source_id")
    strip = lambda rows: [{k: v for k, v in r.items() if k not in differ} for r in rows]  # noqa: E731
    assert strip(_rows(OutboxMessage, [o.pk for o in ours])) == strip(_rows(OutboxMessage, [o.pk for o in theirs]))
    assert [r["source_id"] for r in _rows(OutboxMessage, [o.pk for o in ours])] == [100, 101]
    got = TicketEvent.objects.get(pk=insert_many(events())[0].pk)
    assert (got.created_at, got.before, got.message) == (AT, 2, "SLA breached: 响应")
    # auto_now_add is stamped as bulk_create stamps it
    assert Notification.objects.get(pk=insert_many(notes())[0].pk).created_at is not None


def test_insert_many_sends_arrays_on_postgresql_and_refuses_a_value_too_long(personas):
    """PostgreSQL: one array per column, not a placeholder per value; the arrays are cast without a length
    (varchar[]), so a message longer than the column is refused as by bulk_create, not cut to fit."""
    from django.db import DataError, connection, transaction
    from django.test.utils import CaptureQueriesContext

    notes = [Notification(recipient=personas.agent, message=f"m{i}", kind="x") for i in range(3)]
    with CaptureQueriesContext(connection) as q:
        made = insert_many(notes)
    [sql] = [x["sql"] for x in q.captured_queries]
    assert ("unnest(" in sql) == (connection.vendor == "postgresql")
    assert [n.message for n in Notification.objects.filter(pk__in=[m.pk for m in made]).order_by("pk")] == ["m0", "m1", "m2"]
    too_long = "长" * 301  # message is 300 characters at most
    for write in (insert_many, Notification.objects.bulk_create):
        # SQLite does not enforce a varchar length: there the value is stored whole (never cut), by both
        with pytest.raises(DataError) if connection.vendor == "postgresql" else nullcontext():
            with transaction.atomic():
                write([Notification(recipient=personas.agent, message=too_long, kind="x"),
                       Notification(recipient=personas.agent, message="ok", kind="x")])
    assert not Notification.objects.filter(message__startswith="长" * 300).exclude(message=too_long).exists()


def test_insert_many_chunks_past_the_parameter_limit(personas):
    from django.db import connection

    from servicedesk.bulk import UNNEST_CHUNK

    # SQLite: past its parameter limit; PostgreSQL: past one statement's rows (UNNEST_CHUNK)
    n = min(connection.ops.bulk_batch_size([f for f in Notification._meta.concrete_fields if not f.primary_key],
                                           [None] * 5000), UNNEST_CHUNK) + 7
    made = insert_many([Notification(recipient=personas.agent, message=f"m{i}", kind="x") for i in range(n)])
    assert len({m.pk for m in made}) == n
    assert list(Notification.objects.filter(pk__in=[m.pk for m in made]).order_by("pk").values_list("message", flat=True)) \
        == [f"m{i}" for i in range(n)]
    assert insert_many([]) == []


def test_insert_many_treats_a_naive_moment_as_the_field_does(customer_factory, personas, settings):
    from datetime import datetime as naive_datetime

    ticket = ticket_create(customer=customer_factory(), kind="repair", subject="Printer jams", created_by=personas.frontdesk)
    naive = naive_datetime(2026, 11, 3, 16, 30)  # read in the default zone (Asia/Shanghai), with Django's warning
    with pytest.warns(RuntimeWarning):
        ours = insert_many([TicketEvent(ticket=ticket, kind="note", created_at=naive)])[0]
    with pytest.warns(RuntimeWarning):
        theirs = TicketEvent.objects.bulk_create([TicketEvent(ticket=ticket, kind="note", created_at=naive)])[0]
    assert TicketEvent.objects.get(pk=ours.pk).created_at == TicketEvent.objects.get(pk=theirs.pk).created_at \
        == datetime(2026, 11, 3, 8, 30, tzinfo=dt_timezone.utc)


def _state(obj):
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}, obj._state.adding, obj._state.db, \
        dict(obj._state.fields_cache)


def test_build_makes_what_the_constructor_makes(customer_factory, personas):
    """bulk.build is Model(**values) without the per-field descriptor work: same attributes, same
    defaults, the related object cached, the same refusals."""
    from servicedesk.bulk import build

    ticket = ticket_create(customer=customer_factory(), kind="repair", subject="Printer jams", created_by=personas.frontdesk)
    cases = [
        (TicketEvent, dict(ticket=ticket, actor=None, kind="priority", field="priority", before=2, after=1,
                           message="SLA breached", created_at=AT)),
        (TicketEvent, dict(ticket_id=ticket.pk, actor=personas.agent, kind="note", created_at=AT)),  # defaults for the rest
        (Notification, dict(recipient=personas.supervisor, message="m", url="/x", kind="sla_breach", group="g",
                            channel=Notification._meta.get_field("channel").default)),
        (Notification, dict(recipient_id=personas.agent.pk, message=gettext_lazy("Closed"))),
        (OutboxMessage, dict(kind="notification.email", channel=OutboxMessage.Channel.EMAIL, to="a@example.com",
                             subject="s", body="b", status=OutboxMessage.Status.PENDING, next_attempt_at=AT,
                             created_at=AT)),
    ]
    for model, values in cases:
        built, made = build(model, **values), model(**values)
        assert type(built) is model
        assert _state(built) == _state(made), model
    # a callable default (default=dict) is called for each row: no two rows share one dict
    from quality.models import QualityEvent

    one, two = build(QualityEvent, kind="x"), build(QualityEvent, kind="x")
    assert one.before == {} and one.before is not two.before
    assert _state(one) == _state(QualityEvent(kind="x"))
    # a property goes through its setter, as in the constructor: pk= sets the id, a read-only one refuses
    assert _state(build(Notification, pk=7, message="m")) == _state(Notification(pk=7, message="m"))
    with pytest.raises(AttributeError):
        OutboxMessage(kind_label="x")
    with pytest.raises(AttributeError):
        build(OutboxMessage, kind_label="x")
    with pytest.raises(TypeError, match="unexpected keyword"):
        build(Notification, recipient=personas.agent, colour="red")
    with pytest.raises(ValueError, match="must be a"):
        build(Notification, recipient=ticket)
    # written, they are the same rows as the constructor's
    ours = insert_many([build(model, **values) for model, values in cases[:2]])
    theirs = insert_many([model(**values) for model, values in cases[:2]])
    assert _rows(TicketEvent, [o.pk for o in ours]) == _rows(TicketEvent, [o.pk for o in theirs])


def test_build_falls_back_to_the_constructor_where_it_would_differ():
    from django.db.models.signals import post_init

    from customers.models import CustomerImport
    from servicedesk import bulk
    from servicedesk.models import StaffProfile

    # a file field (its descriptor wraps the value) and a one-to-one (it caches both ways)
    assert bulk._plan(CustomerImport) is None and bulk._plan(StaffProfile) is None
    assert bulk._plan(Notification) is not None

    def listener(sender, instance, **kwargs):
        instance.seen = True

    post_init.connect(listener, sender=Notification, dispatch_uid="test_build_post_init")
    bulk._PLANS.pop(Notification, None)
    try:
        assert bulk._plan(Notification) is None
        assert bulk.build(Notification, message="m").seen is True
    finally:
        post_init.disconnect(dispatch_uid="test_build_post_init", sender=Notification)
        bulk._PLANS.pop(Notification, None)
