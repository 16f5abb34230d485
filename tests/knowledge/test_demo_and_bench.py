"""Demo data loads idempotently; the benchmark command runs end to end on a tiny set (smoke only)."""
import io
import json

import pytest
from django.core.management import call_command

from knowledge.models import Article, ArticleVersion

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_bilingual():
    from knowledge import demo
    from servicedesk import demo as staff_demo

    out = io.StringIO()
    staff_demo.load(stdout=out, options={})
    demo.load(stdout=out, options={})
    first = Article.objects.count()
    demo.load(stdout=out, options={})
    # then ~30 articles, nothing duplicated, both languages, all four product families, versions kept
    assert first == Article.objects.count() == len(demo.ARTICLES) >= 30
    titles = list(Article.objects.values_list("title", flat=True))
    assert any("打印机" in t for t in titles) and any("Printer" in t for t in titles)
    assert {"Air conditioner", "Printer", "Water heater", "Elevator"} <= set(Article.objects.values_list("product", flat=True))
    assert ArticleVersion.objects.count() == first
    assert Article.objects.filter(status="published", visibility="public").exists()


def test_bench_smoke():
    out = io.StringIO()
    call_command("bench_knowledge", n=60, runs=3, stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    figures = json.loads(last)
    assert figures["articles"] >= 60 and figures["search"]["runs"] == 3
    assert figures["suggestions"]["median_ms"] > 0
