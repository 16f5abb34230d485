"""Fixtures for the customers area."""
import pytest

from tests.tickets.conftest import ticket_factory  # noqa: F401  (the tickets' fixture, for customers' tests)


@pytest.fixture
def region(db):
    from customers.models import Region

    return Region.objects.get_or_create(code="haidian", defaults={"name": "Haidian"})[0]


@pytest.fixture
def ticket_for(personas):
    """Open a ticket through the tickets service (the real numbering and events)."""
    from tickets.services import ticket_create

    def _make(customer, subject="Air conditioner leaks", kind="repair", **kwargs):
        kwargs.setdefault("created_by", personas.frontdesk)
        return ticket_create(customer=customer, kind=kind, subject=subject, **kwargs)

    return _make


@pytest.fixture(autouse=True)
def _fast_personas(settings, monkeypatch):
    # Personas are created with a password; PBKDF2 costs ~0.5 s per user on this machine. And
    # make_user re-syncs every role's permissions per user, which post_migrate already did
    # (tests/servicedesk/test_roles_and_home.py checks the groups).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.contrib.auth.models import Group

    from servicedesk import roles

    original = roles.sync_roles

    def sync_once():
        # A transactional test's flush deletes the groups: then (and only then) sync for real.
        if Group.objects.filter(name__in=roles.ROLE_ORDER).count() != len(roles.ROLE_ORDER):
            original()

    monkeypatch.setattr(roles, "sync_roles", sync_once)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Imported files, attachments and photos go to a throw-away folder, not the var directory.
    settings.MEDIA_ROOT = tmp_path / "media"
