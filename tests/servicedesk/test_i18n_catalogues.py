"""The Chinese catalogues: complete, placeholders kept, and one translation per (context, message).

Django merges every app's catalogue into one table keyed by (context, msgid). Before contexts were used,
tickets' "Open" (the ticket status, 未结) overwrote dispatch's "Open" (the job card button), and tickets'
"Opened" (a time, 受理时间) overwrote the report's "Opened" (a count).
"""
import polib
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import pgettext

from servicedesk.i18n_checks import conflicting_entries, entry_problems, placeholders
from servicedesk.management.commands.i18n_compile import catalogues


def zh_catalogues():
    return [p for p in catalogues() if "zh_Hans" in p.parts]


def test_every_catalogue_entry_is_translated_with_its_placeholders():
    # given every Chinese catalogue of the project
    problems = []
    for path in zh_catalogues():
        for entry in polib.pofile(str(path)):
            problems += [f"{path}: {p}" for p in entry_problems(entry)]
    # then no entry is empty, fuzzy, left in English, or has lost/renamed a placeholder
    assert problems == []


def test_no_message_is_translated_two_ways_in_two_catalogues():
    assert conflicting_entries(zh_catalogues()) == []


@pytest.mark.parametrize("msgid, msgstr", [
    ("%(name)s — %(open)s open", "%(name)s — 在手 %(opne)s 单"),      # renamed
    ("%(count)s tickets", "工单"),                                      # dropped
    ("Ticket {0} closed", "工单已关闭"),                                 # dropped str.format field
    ("%s of %s", "%s"),                                                  # one positional lost
])
def test_a_translation_that_changes_placeholders_is_refused(msgid, msgstr):
    assert any("placeholders differ" in p for p in entry_problems(polib.POEntry(msgid=msgid, msgstr=msgstr)))


def test_placeholders_may_move_but_must_all_stay():
    entry = polib.POEntry(msgid="%(a)s of %(b)s, 100%%", msgstr="%(b)s 中的 %(a)s，100%%")
    assert entry_problems(entry) == []
    assert placeholders("{{ not a field }} {0} %(x)d") == placeholders("%(x)d {0}")


def test_empty_fuzzy_and_english_entries_are_refused():
    assert any("untranslated" in p for p in entry_problems(polib.POEntry(msgid="Open", msgstr="")))
    assert any("fuzzy" in p for p in entry_problems(polib.POEntry(msgid="Open", msgstr="打开", flags=["fuzzy"])))
    assert any("not translated into Chinese" in p for p in entry_problems(polib.POEntry(msgid="Open", msgstr="Open")))
    plural = polib.POEntry(msgid="%(n)s job", msgid_plural="%(n)s jobs", msgstr_plural={0: "%(n)s 单"})
    assert entry_problems(plural) == []
    assert entry_problems(polib.POEntry(msgid="%(n)s job", msgid_plural="%(n)s jobs", msgstr_plural={0: ""}))


def test_two_catalogues_disagreeing_is_reported(tmp_path):
    for name, msgstr in (("a", "打开"), ("b", "未结")):
        po = polib.POFile()
        po.append(polib.POEntry(msgid="Open", msgstr=msgstr))
        po.save(str(tmp_path / f"{name}.po"))
    assert conflicting_entries([tmp_path / "a.po", tmp_path / "b.po"])
    # with a context on one use, they no longer collide
    po = polib.pofile(str(tmp_path / "b.po"))
    po[0].msgctxt = "ticket filter"
    po.save()
    assert conflicting_entries([tmp_path / "a.po", tmp_path / "b.po"]) == []


def test_i18n_check_command_passes():
    call_command("i18n_check")


def test_i18n_check_command_fails_on_a_broken_placeholder(tmp_path, monkeypatch):
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Hello %(name)s", msgstr="你好 %(nmae)s"))
    path = tmp_path / "x" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    po.save(str(path))
    from servicedesk.management.commands import i18n_check
    monkeypatch.setattr(i18n_check, "catalogues", lambda: [path])
    with pytest.raises(CommandError, match="placeholders differ"):
        call_command("i18n_check")


@pytest.mark.parametrize("context, msgid, zh", [
    ("action", "Open", "查看"),              # the technician's job card button
    ("ticket filter", "Open", "未结"),       # the complaint register's status filter
    ("count", "Opened", "新建数"),           # a report figure
    ("date", "Opened", "受理时间"),          # when a ticket was opened
    ("count", "Resolved", "解决数"),
    ("ticket status", "Resolved", "已解决"),
    ("date", "Resolved", "解决时间"),
    ("count", "Due", "应回访数"),
    ("technician", "Level", "级别"),
    ("pagination", "Next", "下一页"),
    ("period", "Next", "下一期"),
])
def test_words_with_two_meanings_translate_by_context(context, msgid, zh):
    with translation.override("zh-hans"):
        assert pgettext(context, msgid) == zh
        assert Template('{% load i18n %}{% translate m context c %}').render(Context({"m": msgid, "c": context})) == zh
    with translation.override("en"):
        assert pgettext(context, msgid) == msgid
