"""The hostile-input walk (tests/servicedesk) over the quality pages, with real slips, tasks and findings
(the shared walk's world has none): every role, real and 22-digit ids, hostile queries and posts, no 5xx."""
import logging

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.servicedesk import hostile as H
from tests.servicedesk.test_hostile_input import ROLES, _client, _walk

from .conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_quality_pages_never_answer_5xx(personas, team, make_slip, make_finding, settings):
    # given: a slip with a photo, a finding, and a pending task of the same sample
    from quality.models import InspectionTask

    settings.DEBUG = False
    with time_machine.travel(at(2026, 3, 20, 10), tick=False):
        make_slip(person=personas.frontdesk, evidence=SimpleUploadedFile("p.png", PNG), evidence_type="image/png")
        finding = make_finding(person=personas.agent, occurred_at=at(2026, 3, 10, 9))
        InspectionTask.objects.create(sample=finding.task.sample, kind="contact", reason="random",
                                      contact=_contact(personas), person=personas.frontdesk,
                                      occurred_at=at(2026, 3, 10, 11))
    routes = [r for r in H.iter_routes() if r.name.startswith("quality:")
              or r.name.startswith(("admin:quality_",))]
    site = [r for r in routes if not r.name.startswith("admin:")]
    admin_routes = [r for r in routes if r.name.startswith("admin:")]
    assert len(site) == 9 and admin_routes
    failures, counts = [], {"requests": 0, "posts": 0}
    # when
    logging.disable(logging.CRITICAL)
    try:
        for role in ROLES:
            _walk(_client(role, personas), site, role, failures, counts)
        _walk(_client("superuser", personas), admin_routes, "superuser", failures, counts)
    finally:
        logging.disable(logging.NOTSET)
    # then
    assert counts["posts"] > 50
    assert not failures, "\n".join(map(str, failures[:40]))


def _contact(personas):
    from customers.models import Contact

    return Contact.objects.create(handled_by=personas.frontdesk, started_at=at(2026, 3, 10, 11),
                                  caller_name="İ 😀 <b>x</b>")
