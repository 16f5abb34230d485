"""Two workers at once (PostgreSQL): one customer per new address, one ticket per Message-ID."""
import threading

import pytest
from django.db import connection

from customers.models import Customer
from mailin import services
from mailin.models import EmailSender, InboundEmail
from tickets.models import Ticket

from .factory import mail

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_both(raws, monkeypatch, barrier_target):
    barrier = threading.Barrier(2, timeout=20)
    real = getattr(services, barrier_target)

    def lookup_then_wait(*args, **kwargs):
        result = real(*args, **kwargs)
        try:
            barrier.wait()  # both have looked and found nothing before either writes
        except threading.BrokenBarrierError:
            pass
        return result

    monkeypatch.setattr(services, barrier_target, lookup_then_wait)
    results, errors = [], []

    def work(raw):
        try:
            results.append(services.inbound_email_process(raw=raw))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(raw,)) for raw in raws]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_two_mails_from_one_new_address_at_once_make_one_customer(monkeypatch, personas):
    services.mail_user()  # the system account exists before the race (as after the first mail ever)
    results = _run_both([mail(sender="race@example.com", subject="one"), mail(sender="race@example.com", subject="two")],
                        monkeypatch, "customer_for_address")
    assert sorted(r.outcome for r in results) == ["created", "created"]
    assert Customer.objects.filter(email="race@example.com").count() == 1
    assert EmailSender.objects.get(address="race@example.com").customer_id == results[0].customer_id == results[1].customer_id
    assert Ticket.objects.count() == 2


def test_the_same_message_fetched_twice_at_once_opens_one_ticket(monkeypatch, personas):
    services.mail_user()
    raw = mail(message_id="<twice@example.com>")
    results = _run_both([raw, raw], monkeypatch, "parse")
    assert sorted(r.outcome for r in results) == ["created", "duplicate"]
    assert Ticket.objects.count() == 1
    assert InboundEmail.objects.filter(message_id="twice@example.com").count() == 2
