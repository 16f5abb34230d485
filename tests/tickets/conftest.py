import pytest

from tickets.models import Department, FaultCause, Ticket
from tickets.services import ticket_create


@pytest.fixture
def ticket_factory(customer_factory, personas):
    """Open tickets through the service (customer made on demand)."""

    def _make(kind=Ticket.Kind.REPAIR, customer=None, subject="Printer jams", **kwargs):
        kwargs.setdefault("created_by", personas.frontdesk)
        return ticket_create(customer=customer or customer_factory(), kind=kind, subject=subject, **kwargs)

    return _make


@pytest.fixture
def fault_cause(db):
    return FaultCause.objects.create(name="Worn part", code="worn-part")


@pytest.fixture
def department(db):
    return Department.objects.create(name="After-sales")


@pytest.fixture(autouse=True)
def _mute_foreign_receivers(monkeypatch):
    """TICKETS_MUTE_RECEIVERS=1 runs these tests without other areas' signal receivers.

    Only a development aid while several areas are half-built in one tree; the suite and CI run
    with every receiver connected (the real integration).
    """
    import os

    if os.environ.get("TICKETS_MUTE_RECEIVERS") != "1":
        return
    from tickets import signals

    for name in ("ticket_opened", "ticket_status_changed", "ticket_first_response", "ticket_changed",
                 "complaint_milestone"):
        sig = getattr(signals, name)
        monkeypatch.setattr(sig, "receivers", [])
        monkeypatch.setattr(sig, "sender_receivers_cache", {})


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Personas are made per test; the production hasher would cost ~0.5 s per user on this box.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded attachments go to a throw-away folder, not the working tree's var/media.
    settings.MEDIA_ROOT = tmp_path / "media"
