"""Issue 19 item 11 (PIPL): a person's copy of their data, and erasure that leaves no personal data in any
column of any table while every report figure stays the same."""
import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers import subject
from customers.models import Contact, Customer, CustomerPhone, PersonalDataAccess, SubjectRequest
from customers.services import PhoneInput, customer_update
from tickets.services import attachment_add, ticket_reply

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NAME, MOBILE, LANDLINE, EMAIL = "欧阳娜娜", "13812345678", "010-62750817", "nana.oy@example.com"
ADDRESS = "北京市朝阳区建国路88号3单元502"


@pytest.fixture
def person(customer_factory, ticket_factory, personas, settings, tmp_path):
    """A customer with a trail across the department: phones changed once, a caller's contact, a ticket
    whose description and replies name her, a message sent to her, a file, a work order at her address,
    and another customer's ticket that mentions her mobile."""
    from customers.models import Region
    from dispatch.models import Skill
    from dispatch.services import workorder_create

    c = customer_factory(name=NAME, phone="13900001111", email=EMAIL, address=ADDRESS)
    # an older record of the same person, merged into this one: its name, e-mail and address stay on it
    from customers.services import customer_merge

    old = customer_factory(name="欧阳娜", phone="13500005555", email="nana.old@example.com", address="上海市徐汇区漕溪路1号")
    customer_merge(survivor=c, duplicate=old, merged_by=personas.supervisor)
    customer_update(customer=c, updated_by=personas.frontdesk, phones=[PhoneInput(MOBILE), PhoneInput(LANDLINE)])
    Contact.objects.create(customer=c, caller_name="欧阳先生", caller_phone="13700002222", notes=f"{NAME} 来电",
                           handled_by=personas.frontdesk, started_at=timezone.now())
    t = ticket_factory(customer=c, subject="空调不制冷",
                       description=f"{NAME}（138 1234 5678，{EMAIL}）说空调不制冷，地址 {ADDRESS}")
    ticket_reply(ticket=t, author=personas.agent, body=f"尊敬的{NAME}客户，我们已安排师傅。", public=True)
    attachment_add(ticket=t, uploaded_by=personas.agent, file=SimpleUploadedFile("p.png", PNG, "image/png"),
                   content_type="image/png")
    region = Region.objects.create(name="Chaoyang", code="chaoyang")
    now = timezone.now()
    workorder_create(ticket=t, created_by=personas.agent, skill=Skill.objects.create(name="AC", code="ac"),
                     estimated_value=Decimal(300), region=region, window_start=now + timedelta(hours=2),
                     window_end=now + timedelta(hours=4), now=now)
    other = ticket_factory(subject="Neighbour", description="Neighbour says call 13812345678 too")
    return c, t, other


def _needles():
    out = {NAME, "欧阳先生", EMAIL, ADDRESS, "+8613812345678", "13812345678", "138 1234 5678", "+861062750817",
           "62750817", "13900001111", "13700002222", "欧阳娜", "nana.old@example.com", "上海市徐汇区漕溪路1号",
           "13500005555"}
    # JSON columns on SQLite keep non-ASCII as \\uXXXX escapes: look for those too
    return out | {json.dumps(n)[1:-1] for n in out}


def _scan() -> list[str]:
    """Every column of every table, read as text, searched for the person's identifiers: independent of the
    erasure's own notion of which columns hold text."""
    hits = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cols = [c.name for c in connection.introspection.get_table_description(cur, table)]
            qn = connection.ops.quote_name
            for col in cols:
                text = f"CAST({qn(col)} AS TEXT)"
                for needle in _needles():
                    cur.execute(f"SELECT COUNT(*) FROM {qn(table)} WHERE {text} LIKE %s", [f"%{needle}%"])
                    if cur.fetchone()[0]:
                        hits.append(f"{table}.{col} ∋ {needle}")
    return hits


def _figures():
    from reports import selectors as r
    from reports.periods import Period

    today = timezone.localdate()
    period = Period("custom", date(today.year, 1, 1), today)
    return {name: getattr(r, name)(period=period) for name in
            ("tickets_section", "contacts_section", "complaints_section", "surveys_section", "callbacks_section")}


def test_erasure_leaves_no_personal_data_anywhere_and_every_figure_unchanged(person, personas, django_capture_on_commit_callbacks):
    customer, ticket, other = person
    assert len(_scan()) > 10  # the scan finds what is there
    figures = _figures()
    files = [a.file.name for a in ticket.attachments.all()]
    storage = ticket.attachments.first().file.storage
    assert all(storage.exists(n) for n in files)

    # the dry run says what would change and changes nothing
    dry = subject.subject_erase(customer=customer, actor=personas.manager, reason="letter", dry_run=True)
    assert dry["phones"] == 2 and dry["files"] == len(files) and dry["fields"]["tickets.Ticket.description"] == 2
    assert len(_scan()) > 10 and not SubjectRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = subject.subject_erase(customer=customer, actor=personas.manager, reason="letter of 3 March",
                                     dry_run=False)

    assert _scan() == []
    assert not any(storage.exists(n) for n in files)
    assert _figures() == figures
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.name == f"*** #{customer.pk}" and not customer.address
    assert not CustomerPhone.objects.filter(customer=customer).exists()
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert ticket.subject == "空调不制冷" and "***" in ticket.description  # facts stay, the person goes
    assert other.description == "Neighbour says call *** too"
    # the erasure is logged, with counts and without the erased data
    log = SubjectRequest.objects.get(kind="erase")
    assert log.summary["fields"] == done["fields"] and log.actor == personas.manager
    assert NAME not in json.dumps(log.summary, ensure_ascii=False) and MOBILE not in json.dumps(log.summary)


def test_a_namesake_keeps_her_name(person, customer_factory, ticket_factory, personas):
    customer, _t, _o = person
    namesake = customer_factory(name=NAME, phone="13600003333")
    theirs = ticket_factory(customer=namesake, subject=f"{NAME}'s fridge", description=f"{NAME} again")
    subject.subject_erase(customer=customer, actor=personas.manager, reason="r", dry_run=False)
    namesake.refresh_from_db()
    theirs.refresh_from_db()
    assert namesake.name == NAME and theirs.description == f"{NAME} again"


def test_the_copy_holds_everything_about_the_person(person, personas):
    customer, ticket, other = person
    data = subject.subject_export(customer=customer, actor=personas.manager)
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    for label in ("customers.Customer", "customers.CustomerPhone", "customers.Contact", "customers.CustomerEvent",
                  "tickets.Ticket", "tickets.TicketReply", "tickets.TicketEvent", "tickets.TicketAttachment",
                  "dispatch.WorkOrder", "sla.SLAClock"):
        assert f"{label}.json" in names, label
    assert any(n.startswith("files/") for n in names)
    tickets = json.loads(zf.read("tickets.Ticket.json"))
    assert [t["pk"] for t in tickets] == [ticket.pk]  # the neighbour's ticket is not theirs
    assert NAME in zf.read("tickets.TicketReply.json").decode()
    assert SubjectRequest.objects.get().kind == "export"
    assert PersonalDataAccess.objects.get().place == "subject_request"


def test_the_request_page_dry_run_then_erase(person, client_for):
    customer, _t, _o = person
    url = reverse("customers:subject", args=[customer.pk])
    assert client_for("supervisor").get(url).status_code == 403
    client = client_for("manager")
    page = client.get(url).content.decode()
    assert 'id="subject-preview"' in page and 'id="erase-summary"' not in page  # the dry run only on request
    page = client.post(url, {"do": "preview"}).content.decode()
    assert "tickets.Ticket.description" in page and 'id="erase-summary"' in page and "errorlist" not in page
    assert "invalid-feedback" not in page
    refused = client.post(url, {"do": "erase", "reason": ""})
    assert refused.status_code == 200 and "Say how the person asked for the erasure." in refused.content.decode()
    assert Customer.objects.get(pk=customer.pk).erased_at is None
    download = client.post(url, {"do": "export"})
    assert download["Content-Type"] == "application/zip"
    done = client.post(url, {"do": "erase", "reason": "letter", "confirm": "on"})
    assert done.status_code == 302
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Personal data erased" in page and NAME not in page
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "个人信息" in zh
