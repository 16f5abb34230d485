"""Benchmark knowledge search and ticket suggestions on a large generated article set.

    python manage.py bench_knowledge --n 50000

Builds N articles (mixed Chinese and English, generated from word lists; bulk insert, reused on the
next run), then times search (selector and the full staff search page through the test client),
the public FAQ search and ticket suggestions: median and p95. On PostgreSQL it prints EXPLAIN
ANALYZE of a search and a suggestion query and the indexes they used. The last line is JSON.
"""
import json
import random
import re
import statistics
import time
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge.models import Article, Category
from knowledge.selectors import article_search, articles_visible_to, faq_articles, ticket_suggestions
from knowledge.text import index_text, plain_text, render_markdown
from servicedesk.bench import claim_bench_database

PRODUCTS_ZH = ["空调", "打印机", "热水器", "电梯", "冰箱", "洗衣机", "净水器", "复印机", "投影仪", "电视"]
PRODUCTS_EN = ["air conditioner", "printer", "water heater", "elevator", "refrigerator", "washing machine",
               "water purifier", "copier", "projector", "television"]
SYMPTOMS_ZH = ["不制冷", "卡纸", "不出热水", "漏水", "异响", "不开机", "显示故障代码", "遥控器失灵", "噪音大", "不加热",
               "有异味", "门关不上", "屏幕不亮", "无法联网", "耗电高", "频繁停机", "温度不稳定", "出水小", "打印模糊", "困人"]
SYMPTOMS_EN = ["not cooling", "paper jam", "no hot water", "leaking water", "strange noise", "will not turn on",
               "shows an error code", "remote not working", "too loud", "not heating", "bad smell", "door does not close",
               "screen is blank", "cannot connect to wifi", "high power use", "keeps stopping", "unstable temperature",
               "low water flow", "blurred printing", "people trapped"]
FILLER_ZH = ["请先检查电源", "关闭阀门后再操作", "建议预约技术工程师上门", "清洗滤网", "更换密封圈", "检查线路连接",
             "确认保修期", "记录故障现象", "联系客服中心", "按说明书操作", "断电五分钟后重启", "检查进水压力", "更换配件",
             "注意安全", "拍照上传", "核对型号", "定期保养", "检查排水管", "更换电池", "升级固件"]
FILLER_EN = ["check the power supply", "close the valve first", "book a technician visit", "clean the filter",
             "replace the seal", "check the wiring", "confirm the warranty", "note what the customer saw", "call the hotline",
             "follow the manual", "restart after five minutes", "check the water pressure", "replace the part",
             "stay safe", "upload a photo", "check the model number", "service it regularly", "check the drain pipe",
             "replace the batteries", "update the firmware"]
MODELS = ["KFR-35GW", "KFR-72LW", "LJ-2200", "JSQ-16", "EL-800", "BCD-450", "XQG-80", "RO-400", "CP-3100", "TV-55U"]
MARK = "[bench]"


def _article(rng: random.Random, i: int, author, categories) -> Article:
    p = rng.randrange(len(PRODUCTS_ZH))
    s = rng.randrange(len(SYMPTOMS_ZH))
    zh = rng.random() < 0.55
    if zh:
        title = f"{PRODUCTS_ZH[p]}{SYMPTOMS_ZH[s]}{rng.choice(['怎么办', '的处理方法', '的原因', '', '（常见问题）'])}"
        sentences = [rng.choice(FILLER_ZH) for _ in range(rng.randint(8, 20))]
        sentences.insert(rng.randint(0, len(sentences)), f"{PRODUCTS_ZH[p]}{SYMPTOMS_ZH[s]}")
        body = "。".join(sentences) + "。"
    else:
        title = f"{PRODUCTS_EN[p].capitalize()} {SYMPTOMS_EN[s]}{rng.choice(['', ': what to do', ' - causes', ' (FAQ)'])}"
        sentences = [rng.choice(FILLER_EN) for _ in range(rng.randint(8, 20))]
        sentences.insert(rng.randint(0, len(sentences)), f"the {PRODUCTS_EN[p]} {SYMPTOMS_EN[s]}")
        body = ". ".join(x.capitalize() for x in sentences) + "."
    model = MODELS[p]
    title = f"{title} #{i}"
    return Article(
        title=title[:200], body=body, body_html=render_markdown(body), category=categories[p], product=PRODUCTS_EN[p],
        model=model, visibility=rng.choice(["public", "internal"]), status=rng.choices(["published", "draft", "archived"], [85, 10, 5])[0],
        author=author, owner=author, version=1, solved_count=rng.choice([0, 0, 0, 1, 2, 5, 20]),
        search_title=index_text(title, PRODUCTS_EN[p], model), search_body=index_text(plain_text(body)),
    )


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _timed(fn, runs):
    times = []
    for arg in runs:
        start = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - start) * 1000)
    return times


class Command(BaseCommand):
    help = "Benchmark knowledge search and suggestions (median/p95); last line is JSON."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=50_000, help="articles to have in the database (default 50,000)")
        parser.add_argument("--runs", type=int, default=120, help="timed runs per measurement")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, n, runs, seed, **options):
        claim_bench_database(command="bench_knowledge")  # before any write: never on demo or real data
        rng = random.Random(seed)
        User = get_user_model()
        author, _ = User.objects.get_or_create(username="bench_kb", defaults={"first_name": "Bench"})
        if not author.is_superuser:
            author.is_superuser = True
            author.save(update_fields=["is_superuser"])
        categories = [Category.objects.get_or_create(name=f"{MARK} {PRODUCTS_ZH[i]} / {PRODUCTS_EN[i]}")[0]
                      for i in range(len(PRODUCTS_ZH))]
        have = Article.objects.count()
        build_s = 0.0
        if have < n:
            start = time.perf_counter()
            batch = []
            for i in range(have, n):
                batch.append(_article(rng, i, author, categories))
                if len(batch) == 2000:
                    Article.objects.bulk_create(batch)
                    batch = []
            if batch:
                Article.objects.bulk_create(batch)
            if connection.vendor == "postgresql":
                # Fresh statistics for the planner and a visibility map for index-only counts, as
                # autovacuum would have done on a live database.
                with connection.cursor() as cur:
                    # (inside a test's transaction VACUUM is not allowed: statistics only)
                    cur.execute("ANALYZE knowledge_article" if connection.in_atomic_block else "VACUUM ANALYZE knowledge_article")
            build_s = time.perf_counter() - start
        total = Article.objects.count()
        self.stdout.write(f"Articles: {total} (built {max(0, total - have)} in {build_s:.1f} s) on {connection.vendor}")

        queries = ["打印机卡纸", "空调不制冷", "热水器不出热水", "电梯困人", "冰箱异响", "洗衣机漏水", "投影仪屏幕不亮",
                   "printer paper jam", "air conditioner not cooling", "water heater no hot water", "elevator door",
                   "refrigerator noise", "KFR-35GW", "LJ-2200 jam", "净水器出水小", "copier blurred printing"]
        plan_rng = random.Random(seed + 1)
        search_runs = [queries[i % len(queries)] for i in range(runs)]
        tickets = []
        for i in range(runs):
            p, s = plan_rng.randrange(len(PRODUCTS_ZH)), plan_rng.randrange(len(SYMPTOMS_ZH))
            if i % 2:
                subject, desc = f"{PRODUCTS_ZH[p]}{SYMPTOMS_ZH[s]}", f"客户反映{PRODUCTS_ZH[p]}{SYMPTOMS_ZH[s]}，{plan_rng.choice(FILLER_ZH)}"
            else:
                subject, desc = f"{PRODUCTS_EN[p]} {SYMPTOMS_EN[s]}", f"Customer says the {PRODUCTS_EN[p]} {SYMPTOMS_EN[s]}."
            tickets.append(SimpleNamespace(subject=subject, description=desc,
                                           asset=SimpleNamespace(model=MODELS[p], product=PRODUCTS_EN[p])))

        staff_qs = articles_visible_to(author)

        def search(q):
            qs, _tokens = article_search(staff_qs, query=q)
            return list(qs[:20])

        def faq(q):
            qs, _tokens = article_search(faq_articles(), query=q)
            return list(qs[:20])

        def suggest(t):
            return ticket_suggestions(t)

        client = Client()
        client.force_login(author)
        list_url = reverse("knowledge:list")

        def page(q):
            response = client.get(list_url, {"q": q})
            assert response.status_code == 200

        anon = Client()
        faq_url = reverse("knowledge:faq")

        def faq_page(q):
            assert anon.get(faq_url, {"q": q}).status_code == 200

        for fn, arg in ((search, queries[0]), (suggest, tickets[0]), (page, queries[0]), (faq_page, queries[0])):
            fn(arg)  # warm caches and connections
        results = {}
        for name, fn, args_ in (("search", search, search_runs), ("faq_search", faq, search_runs),
                                ("suggestions", suggest, tickets), ("search_page", page, search_runs),
                                ("faq_page", faq_page, search_runs)):
            times = _timed(fn, args_)
            results[name] = {"median_ms": round(statistics.median(times), 2), "p95_ms": round(_pct(times, 0.95), 2),
                             "max_ms": round(max(times), 2), "runs": len(times)}

        per_query = {}
        for q in queries:
            per_query[q] = round(statistics.median(_timed(search, [q] * 3)), 1)
        slowest = sorted(per_query.items(), key=lambda kv: -kv[1])[:5]
        results["search"]["slowest_queries_ms"] = dict(slowest)

        with CaptureQueriesContext(connection) as ctx:
            page(queries[0])
        results["search_page"]["queries"] = len(ctx.captured_queries)
        with CaptureQueriesContext(connection) as ctx:
            suggest(tickets[1])
        results["suggestions"]["queries"] = len(ctx.captured_queries)
        reset_queries()

        self.stdout.write("")
        self.stdout.write(f"{'measurement':<14}{'median ms':>11}{'p95 ms':>10}{'max ms':>10}{'runs':>6}{'queries':>9}")
        for name, r in results.items():
            self.stdout.write(f"{name:<14}{r['median_ms']:>11}{r['p95_ms']:>10}{r['max_ms']:>10}{r['runs']:>6}"
                              f"{r.get('queries', ''):>9}")

        self.stdout.write("slowest search queries (median of 3, ms): " + ", ".join(f"{q} {t}" for q, t in slowest))
        indexes = set()
        if connection.vendor == "postgresql":
            for label, qs in (
                ("search 打印机卡纸", article_search(staff_qs, query="打印机卡纸")[0][:20]),
                ("search 'air conditioner not cooling'", article_search(staff_qs, query="air conditioner not cooling")[0][:20]),
            ):
                plan = qs.explain(analyze=True, buffers=True)
                indexes |= set(re.findall(r"(?:Index Scan|Bitmap Index Scan|Index Only Scan)(?: Backward)? (?:using|on) (\w+)", plan))
                self.stdout.write(f"\nEXPLAIN ANALYZE ({label}):\n{plan}")
            sugg_qs = self._suggestion_queryset(tickets[1])
            plan = sugg_qs.explain(analyze=True, buffers=True)
            indexes |= set(re.findall(r"(?:Index Scan|Bitmap Index Scan|Index Only Scan)(?: Backward)? (?:using|on) (\w+)", plan))
            self.stdout.write(f"\nEXPLAIN ANALYZE (suggestions for '{tickets[1].subject}'):\n{plan}")
            self.stdout.write(f"\nIndexes used: {', '.join(sorted(indexes))}")
        target_ok = all(results[k]["p95_ms"] < 100 for k in ("search", "suggestions"))
        self.stdout.write(json.dumps({
            "bench": "knowledge", "vendor": connection.vendor, "articles": total, **results,
            "indexes_used": sorted(indexes), "p95_under_100ms": target_ok,
        }, ensure_ascii=False))

    @staticmethod
    def _suggestion_queryset(ticket):
        # The first query ticket_suggestions() evaluates (subject OR description words), for EXPLAIN.
        from knowledge import selectors
        from knowledge.text import query_tokens, required_matches

        model = ticket.asset.model
        subject = query_tokens(ticket.subject)
        description = [t for t in query_tokens(ticket.description) if t not in subject]
        rank_tokens = list(dict.fromkeys([*subject, *description, *query_tokens(f"{ticket.asset.product} {model}")]))
        qs = Article.objects.filter(status=Article.Status.PUBLISHED).defer(*selectors.LIST_DEFER)
        groups = [(subject, required_matches(subject)), (description, required_matches(description))]
        return selectors._search_postgres(qs, query=ticket.subject[:200], groups=groups, model=model,
                                          rank_tokens=rank_tokens, cap=selectors.SUGGESTION_CANDIDATES)[:5]
