"""Lookup data the department enters is shown in the reader's language (issue 11 item 6).

Regions, skills, parts, fault causes, responsible departments and teams have a Chinese name (required)
and an English name (optional). Chinese readers see the Chinese name; English readers the English one,
or the Chinese name when nobody entered an English one.
"""
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone, translation

from customers.forms import CustomerForm
from customers.models import Region
from dispatch.forms import PartForm, WorkForm, WorkOrderForm
from dispatch.models import Part, PartUsage, Skill
from reports.forms import PeriodForm
from servicedesk.lookups import localized_name, split_legacy_name
from servicedesk.models import Team
from tickets.forms import ComplaintDecideForm, ResolveForm
from tickets.models import Department, FaultCause

pytestmark = pytest.mark.django_db

ZH, EN = "zh-hans", "en"


@pytest.fixture
def bilingual(region, skill, part):
    """Chinese-first lookups as a real department enters them; 密云区 and 财务部 have no English name."""
    region.name, region.name_en = "朝阳区", "Chaoyang"
    region.save()
    skill.name, skill.name_en = "空调", "Air conditioning"
    skill.save()
    part.name, part.name_en = "压缩机电容", "Compressor capacitor"
    part.save()
    return {
        "region": region, "skill": skill, "part": part,
        "zh_only_region": Region.objects.create(name="密云区", code="miyun"),
        "cause": FaultCause.objects.create(name="零件磨损", name_en="Worn part", code="worn"),
        "zh_only_cause": FaultCause.objects.create(name="冷媒泄漏", code="leak"),
        "dept": Department.objects.create(name="售后服务部", name_en="After-sales service"),
        "zh_only_dept": Department.objects.create(name="财务部"),
        "team": Team.objects.create(name="维修组", name_en="Repairs"),
    }


def labels(field):
    return [str(label) for _value, label in field.choices]


def test_display_name_follows_the_active_language_and_falls_back_to_chinese(bilingual):
    with translation.override(ZH):
        assert str(bilingual["region"]) == bilingual["region"].display_name == "朝阳区"
        assert str(bilingual["zh_only_region"]) == "密云区"
    with translation.override(EN):
        assert str(bilingual["region"]) == bilingual["region"].display_name == "Chaoyang"
        assert str(bilingual["zh_only_region"]) == "密云区"
        assert bilingual["part"].label_with_sku == "Compressor capacitor (CAP-35)"
    assert localized_name("维修组", "", language="en") == "维修组"
    assert localized_name("维修组", "Repairs", language="zh-hans") == "维修组"


@pytest.mark.parametrize("lang, expected, absent", [
    (ZH, ["朝阳区", "密云区", "空调", "压缩机电容", "零件磨损", "冷媒泄漏", "售后服务部", "财务部", "维修组"],
     ["Chaoyang", "Air conditioning", "Compressor capacitor", "Worn part", "After-sales service", "Repairs"]),
    (EN, ["Chaoyang", "密云区", "Air conditioning", "Compressor capacitor", "Worn part", "冷媒泄漏",
          "After-sales service", "财务部", "Repairs"],
     ["朝阳区", "空调", "压缩机电容", "零件磨损", "售后服务部", "维修组"]),
])
def test_form_choices_show_lookups_in_the_readers_language(bilingual, lang, expected, absent):
    # when every form that offers a lookup is built in that language
    with translation.override(lang):
        shown = " | ".join(
            labels(CustomerForm().fields["region"]) + labels(WorkOrderForm().fields["skill"])
            + labels(PartForm().fields["part"]) + labels(ResolveForm().fields["fault_cause"])
            + labels(WorkForm().fields["fault_cause"]) + labels(ComplaintDecideForm().fields["department"])
            + labels(PeriodForm().fields["team"])
        )
    # then each lookup reads in that language, Chinese when there is no English name
    for name in expected:
        assert name in shown
    for name in absent:
        assert name not in shown


@pytest.mark.parametrize("lang, region_label, other_label, skill_label", [
    (ZH, "朝阳区", "密云区", "空调"), (EN, "Chaoyang", "密云区", "Air conditioning")])
def test_dispatch_board_lists_regions_and_skills_in_the_readers_language(
        bilingual, client_for, wo_factory, tech_factory, lang, region_label, other_label, skill_label):
    # given an unassigned work order in 朝阳区 and a technician covering it
    wo_factory()
    tech_factory("chen")
    # when the supervisor opens the dispatch board
    page = client_for("supervisor").get(reverse("dispatch:board"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    # then the region filter, the per-region table, the technicians' regions and the job's skill use that language
    assert f">{region_label}</option>" in page and f">{other_label}</option>" in page
    assert f"<td>{region_label}</td>" in page
    assert f"· {skill_label} ·" in page
    wrong = {"朝阳区", "Chaoyang"} - {region_label}
    assert not any(w in page for w in wrong)


@pytest.mark.parametrize("lang, part_label", [(ZH, "压缩机电容"), (EN, "Compressor capacitor")])
def test_parts_used_on_the_job_page_in_the_readers_language(bilingual, client_for, wo_factory, personas, lang,
                                                            part_label):
    wo = wo_factory()
    PartUsage.objects.create(work_order=wo, part=bilingual["part"], quantity=1, recorded_by=personas.agent,
                             recorded_at=timezone.now())
    page = client_for("supervisor").get(reverse("dispatch:workorder", args=[wo.pk]),
                                        HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert f"{part_label} × 1" in page


@pytest.mark.parametrize("lang, dept, team", [(ZH, "售后服务部", "维修组"), (EN, "After-sales service", "Repairs")])
def test_complaint_register_and_ticket_list_in_the_readers_language(
        bilingual, client_for, customer_factory, personas, lang, dept, team):
    from tickets.models import Complaint
    from tickets.services import ticket_create

    ticket = ticket_create(customer=customer_factory(), kind="complaint", subject="维修人员迟到",
                           created_by=personas.agent)
    Complaint.objects.filter(ticket=ticket).update(department=bilingual["dept"])
    ticket.__class__.objects.filter(pk=ticket.pk).update(team=bilingual["team"])
    client = client_for("supervisor")
    register = client.get(reverse("tickets:complaints"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert f">{dept}</td>" in register
    listing = client.get(reverse("tickets:list"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert f">{team}</div>" in listing


def test_english_and_chinese_names_stay_unique(bilingual):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Skill.objects.create(name="暖通", name_en="Air conditioning", code="hvac")
    # several rows may leave the English name empty
    Skill.objects.create(name="电梯", code="lift")
    Skill.objects.create(name="冰箱", code="fridge")
    assert Part.objects.create(sku="X-1", name="压缩机电容").name_en == ""  # part names need not be unique


# --- the data migration keeps every existing name ----------------------------------------------------

@pytest.mark.parametrize("name, zh, en", [
    ("朝阳区", "朝阳区", ""),                   # written in Chinese: stays Chinese, no English yet
    ("Chaoyang", "Chaoyang", "Chaoyang"),       # written in English: English name, and Chinese until edited
    ("A区 north", "A区 north", ""),             # any Chinese character: it was written for Chinese readers
])
def test_split_legacy_name(name, zh, en):
    assert split_legacy_name(name) == (zh, en)


@pytest.mark.parametrize("module, model, make", [
    ("customers.migrations.0006_region_english_name", Region, lambda n, i: {"code": f"r{i}"}),
    ("dispatch.migrations.0003_skill_part_english_name", Skill, lambda n, i: {"code": f"s{i}"}),
    ("dispatch.migrations.0003_skill_part_english_name", Part, lambda n, i: {"sku": f"P-{i}"}),
    ("tickets.migrations.0004_faultcause_department_english_name", FaultCause, lambda n, i: {"code": f"c{i}"}),
    ("tickets.migrations.0004_faultcause_department_english_name", Department, lambda n, i: {}),
    ("servicedesk.migrations.0003_team_english_name", Team, lambda n, i: {}),
])
def test_migration_forward_keeps_every_name(module, model, make):
    # given rows named before lookups had two languages (name_en empty), in Chinese and in English
    names = ["Installation team", "售后服务部", "Billing"]
    rows = [model.objects.create(name=n, **make(n, i)) for i, n in enumerate(names)]
    # when the data migration runs
    importlib.import_module(module).forward(django_apps, None)
    # then nothing is lost: every Chinese column is unchanged, English names are filled from English ones
    got = {r.name: r.name_en for r in model.objects.filter(pk__in=[r.pk for r in rows])}
    assert got == {"Installation team": "Installation team", "售后服务部": "", "Billing": "Billing"}
    # and running it again changes nothing
    importlib.import_module(module).forward(django_apps, None)
    assert {r.name: r.name_en for r in model.objects.filter(pk__in=[r.pk for r in rows])} == got


# --- the demo loader is Chinese-first and touches only its own rows ----------------------------------

def test_demo_lookup_renames_only_the_demos_old_english_rows():
    from servicedesk.lookups import demo_lookup

    # given a database loaded by the old demo (English names, copied to name_en by the migration)
    old = Region.objects.create(code="chaoyang", name="Chaoyang", name_en="Chaoyang")
    edited = Region.objects.create(code="haidian", name="海淀", name_en="")  # the department renamed this one
    old_team = Team.objects.create(name="Repairs", name_en="Repairs")
    # when the new demo loader runs, twice
    for _run in range(2):
        demo_lookup(Region, name_zh="朝阳区", name_en="Chaoyang", lookup={"code": "chaoyang"})
        demo_lookup(Region, name_zh="海淀区", name_en="Haidian", lookup={"code": "haidian"})
        demo_lookup(Team, name_zh="维修组", name_en="Repairs")
        new, created = demo_lookup(Skill, name_zh="空调", name_en="Air conditioning", lookup={"code": "aircon"})
    # then its own old row gets the Chinese name, the department's edit stays, and nothing is duplicated
    old.refresh_from_db(), edited.refresh_from_db(), old_team.refresh_from_db()
    assert (old.name, old.name_en) == ("朝阳区", "Chaoyang")
    assert (edited.name, edited.name_en) == ("海淀", "")
    assert (old_team.name, old_team.name_en) == ("维修组", "Repairs")
    assert Region.objects.count() == 2 and Team.objects.count() == 1 and Skill.objects.count() == 1
    assert (new.name, new.name_en, created) == ("空调", "Air conditioning", False)
