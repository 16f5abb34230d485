"""Every save keeps a version; a version can be viewed (with a diff) and restored (as a new version)."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from knowledge.models import Article, ArticleVersion
from knowledge.services import ArticleInput, article_restore_version, article_transition, article_update

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _edit(article, actor, *, title=None, body=None, note=""):
    return article_update(
        article=article, actor=actor, note=note,
        data=ArticleInput(title=title or article.title, body=body if body is not None else article.body,
                          visibility=article.visibility, tags=list(article.tags.values_list("name", flat=True))),
    )


def test_every_save_keeps_a_version_with_who_and_when(make_article, personas):
    # given an article written by one agent
    article = make_article(title="Reset the printer", body="Old steps", now=datetime(2026, 11, 2, 9, tzinfo=TZ))
    # when another agent edits it
    article = _edit(article, personas.agent2, body="New steps", note="clearer steps")
    # then both versions are kept, newest first, with who and why
    versions = list(article.versions.all())
    assert [v.number for v in versions] == [2, 1]
    assert versions[0].changed_by == personas.agent2 and versions[0].change_note == "clearer steps"
    assert versions[0].body == "New steps" and versions[1].body == "Old steps"
    assert versions[1].changed_by == personas.agent and article.version == 2


def test_restore_makes_a_new_version(make_article, personas):
    article = make_article(title="Reset", body="v1 body")
    article = _edit(article, personas.agent, title="Reset (new)", body="v2 body")
    # when version 1 is restored
    restored = article_restore_version(article=article, version=article.versions.get(number=1), actor=personas.supervisor)
    # then the article is back to version 1's text, as version 3
    assert (restored.title, restored.body, restored.version) == ("Reset", "v1 body", 3)
    v3 = restored.versions.get(number=3)
    assert v3.changed_by == personas.supervisor and "1" in v3.change_note
    assert ArticleVersion.objects.filter(article=article).count() == 3
    # and the search columns follow the restored text
    assert "v1" in Article.objects.get(pk=article.pk).search_body


def test_restore_refuses_a_version_of_another_article(make_article, personas):
    a, b = make_article(title="A"), make_article(title="B")
    with pytest.raises(ValidationError):
        article_restore_version(article=a, version=b.versions.get(number=1), actor=personas.agent)


def test_status_transitions_are_recorded_and_illegal_ones_refused(make_article, personas):
    article = make_article(status="draft")
    with pytest.raises(ValidationError):
        article_transition(article=article, to_status="archived", actor=personas.agent)
    article = article_transition(article=article, to_status="published", actor=personas.agent)
    article = article_transition(article=article, to_status="archived", actor=personas.supervisor)
    events = list(article.events.values_list("kind", "before", "after"))
    assert events == [("created", "", "draft"), ("status", "draft", "published"), ("status", "published", "archived")]
    assert article.published_at is not None


def test_version_page_shows_diff_and_restore_via_view(client_for, make_article, personas):
    article = make_article(title="Reset", body="line one\nline two")
    _edit(article, personas.agent2, body="line one\nline 2 <script>x</script>", note="fix")
    client = client_for("agent")
    html = client.get(reverse("knowledge:version", args=[article.pk, 2])).content.decode()
    assert 'kb-diff-del">line two' in html and 'kb-diff-add">line 2 &lt;script&gt;' in html
    assert "Agent2" in html  # who changed it
    history = client.get(reverse("knowledge:history", args=[article.pk])).content.decode()
    assert "v2" in history and "fix" in history
    # restore through the page
    response = client.post(reverse("knowledge:restore", args=[article.pk, 1]))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "line one\nline two" and article.version == 3


def test_edit_form_saves_a_version_and_tags(client_for, make_article):
    article = make_article(title="Reset")
    response = client_for("agent").post(reverse("knowledge:edit", args=[article.pk]), {
        "title": "Reset the LJ-2200", "body": "Hold **power**.", "visibility": "public", "tags": "printer， reset",
        "product": "Printer", "model": "LJ-2200", "change_note": "model added",
    })
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.version == 2 and sorted(article.tags.values_list("name", flat=True)) == ["printer", "reset"]
    assert "<strong>power</strong>" in article.body_html


def test_create_form_errors_are_shown(client_for):
    response = client_for("agent").post(reverse("knowledge:create"), {"title": "", "body": "", "visibility": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"title", "body", "visibility"}
