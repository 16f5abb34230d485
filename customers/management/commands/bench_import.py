"""Customer import at scale: `manage.py bench_import [--n N]` (issue 19 item 8).

Writes a CSV of N customer rows (default 100,000) in GB18030 with Chinese headers — a phone, an address and
an asset on every row, a second phone on every third, 1 % with an invalid phone and 1 % repeating a phone
of an earlier row — then times the three steps the manager goes through: upload (header read), check (the
dry run over every row) and import (batches of 1,000, each one transaction). Numbers start at 170 so they
never meet the demo data's; rerunning on the same database finds the previous run's customers as
"already on file" (use a new database for a clean figure). Prints a table and, as its last line, one
JSON object.
"""
import csv
import io
import json
import time

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import connection

from customers import importer
from customers.models import Asset, Customer
from servicedesk import roles
from servicedesk.bench import claim_bench_database


class Command(BaseCommand):
    help = "Time a customer import of N rows: upload, check (dry run) and import."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=100_000)

    def handle(self, *args, n: int, **options):
        claim_bench_database(command="bench_import")
        user, _created = get_user_model().objects.get_or_create(username="bench-importer",
                                                                 defaults={"first_name": "Bench"})
        from django.contrib.auth.models import Group

        roles.sync_roles()
        user.groups.add(Group.objects.get(name=roles.MANAGER))
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["姓名", "手机", "座机", "地址", "产品", "型号", "安装日期"])
        for i in range(n):
            phone = f"170{i:08d}"
            if i % 100 == 37:
                phone = "12345"  # invalid
            elif i % 100 == 71 and i > 100:
                phone = f"170{i - 50:08d}"  # repeats an earlier row
            second = f"010{(60000000 + i):08d}" if i % 3 == 0 else ""
            w.writerow([f"导入客户{i}", phone, second, f"北京市朝阳区建国路{i % 500}号", "空调", f"KFR-{i % 90}",
                        "2025-06-01"])
        data = buf.getvalue().encode("gb18030")
        before_customers, before_assets = Customer.objects.count(), Asset.objects.count()

        t0 = time.perf_counter()
        imp = importer.import_start(f=SimpleUploadedFile("bench.csv", data, "text/csv"), actor=user)
        t_upload = time.perf_counter() - t0
        t0 = time.perf_counter()
        imp = importer.import_check(import_id=imp.pk)
        t_check = time.perf_counter() - t0
        t0 = time.perf_counter()
        imp = importer.import_run(import_id=imp.pk, time_budget=10_000)
        t_import = time.perf_counter() - t0

        made = Customer.objects.count() - before_customers
        figures = {
            "rows": n, "db": connection.vendor, "file_mb": round(len(data) / 1e6, 1),
            "upload_s": round(t_upload, 2), "check_s": round(t_check, 2), "import_s": round(t_import, 2),
            "total_s": round(t_upload + t_check + t_import, 2),
            "rows_per_s_import": round(n / t_import) if t_import else None,
            "valid": imp.valid, "duplicates": imp.duplicates, "invalid": imp.invalid,
            "customers_created": made, "assets_created": Asset.objects.count() - before_assets,
            "failed": imp.failed, "state": imp.state,
        }
        self.stdout.write(f"customer import of {n:,} rows ({figures['file_mb']} MB, {connection.vendor})")
        self.stdout.write(f"{'step':<10}{'seconds':>10}")
        for step in ("upload", "check", "import", "total"):
            self.stdout.write(f"{step:<10}{figures[step + '_s']:>10.2f}")
        self.stdout.write(f"rows: {imp.valid:,} imported, {imp.duplicates:,} already on file or repeated, "
                          f"{imp.invalid:,} with errors; {made:,} customers, {figures['assets_created']:,} assets")
        self.stdout.write(json.dumps(figures))
