"""Gap-free numbering under concurrent creation: threads with their own PostgreSQL connections."""
import threading

import pytest
from django.db import connection

from customers.models import Customer
from tickets.models import Ticket, TicketCounter
from tickets.services import ticket_create

THREADS = 8
PER_THREAD = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_creation_gives_1_to_80_without_gaps(customer_factory, personas):
    # given
    customer_id = customer_factory().pk
    user = personas.frontdesk
    barrier = threading.Barrier(THREADS)
    errors = []

    def work():
        try:
            customer = Customer.objects.get(pk=customer_id)
            barrier.wait()
            for i in range(PER_THREAD):
                ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject=f"t{i}", created_by=user)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    # then
    assert errors == []
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in Ticket.objects.values_list("number", flat=True))
    assert seqs == list(range(1, THREADS * PER_THREAD + 1))
    assert TicketCounter.objects.get(kind=Ticket.Kind.REPAIR).last == THREADS * PER_THREAD
