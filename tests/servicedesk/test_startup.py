"""What start-up made is frozen out of the garbage collector once every app is ready (issue 14):
full collections and the interpreter's exit walk only what the process made afterwards."""
import gc
import sys

from django.conf import settings


def _collectable(obj) -> bool:
    # gc.get_objects() lists the three generations a collection walks, not the frozen ones
    return any(o is obj for o in gc.get_objects())


def test_start_up_objects_are_frozen_and_new_ones_are_not():
    # the last app's ready() ran after the admin's, which imported every app's admin module
    assert settings.INSTALLED_APPS.index("servicedesk.startup") > settings.INSTALLED_APPS.index(
        "servicedesk.apps.ServiceDeskAdminConfig")
    assert gc.get_freeze_count() > 10_000
    assert not _collectable(sys.modules["sla.admin"].__dict__)
    made_now = [["made after start-up"]]  # a list is always tracked
    assert _collectable(made_now)
