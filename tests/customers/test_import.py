"""Issue 19 item 8: importing customers, phones, assets and contracts from CSV or Excel — column mapping, a dry
run that finds every row's problem, batches that are all-or-nothing, a cursor that never imports a row twice,
and a downloadable log."""
import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts.models import ContractLevel, ServiceContract
from customers import importer
from customers.models import Asset, Customer, CustomerEvent, CustomerImport, CustomerPhone, ImportIssue, Region

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机", "座机", "邮箱", "地址", "区域", "产品", "型号", "安装日期", "保修截止", "合同级别", "合同开始",
          "合同结束", "合同金额"]


def _csv(rows, encoding="gb18030", header=HEADER) -> SimpleUploadedFile:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return SimpleUploadedFile("客户.csv", buf.getvalue().encode(encoding), "text/csv")


@pytest.fixture
def lists(db):
    region = Region.objects.create(name="朝阳区", code="chaoyang")
    level = ContractLevel.objects.create(name="金牌服务", name_en="Gold care", code="gold-care")
    return region, level


@pytest.fixture
def file_with_problems(customer_factory, lists):
    customer_factory(name="老客户", phone="13900000001")
    rows = [
        ["王芳", "138 1234 5678", "010-62750817", "wang@example.com", "北京市朝阳区建国路88号", "朝阳区", "空调", "KFR-35",
         "2025-06-01", "2028-05-31", "金牌服务", "2026-01-01", "2026-12-31", "1,200"],  # line 2: all good
        ["", "13812340002", "", "", "", "", "", "", "", "", "", "", "", ""],  # 3: no name
        ["李雷", "12345", "", "", "", "", "", "", "", "", "", "", "", ""],  # 4: not a phone
        ["韩梅梅", "13900000001", "", "", "", "", "", "", "", "", "", "", "", ""],  # 5: already on file
        ["张伟", "+86 138 1234 5678", "", "", "", "", "", "", "", "", "", "", "", ""],  # 6: same as line 2
        ["赵敏", "13812340006", "", "not-an-email", "", "海淀区", "", "", "", "", "", "", "", ""],  # 7: two errors
        ["钱进", "13812340007", "", "", "", "", "冰箱", "", "2025/13/01", "", "", "", "", ""],  # 8: bad date
        ["孙丽", "13812340008", "", "", "上海市浦东新区", "chaoyang", "", "", "", "", "", "", "", ""],  # 9: good
    ]
    return _csv(rows)


def test_headers_in_chinese_are_mapped_for_you(file_with_problems, personas):
    imp = importer.import_start(f=file_with_problems, actor=personas.manager)
    assert imp.state == CustomerImport.State.UPLOADED and imp.headers == HEADER
    assert imp.mapping == {"name": 0, "phone1": 1, "phone2": 2, "email": 3, "address": 4, "region": 5, "product": 6,
                           "model": 7, "install_date": 8, "warranty_end": 9, "contract_level": 10,
                           "contract_start": 11, "contract_end": 12, "contract_price": 13}


def test_the_dry_run_finds_every_problem_and_writes_no_customer(file_with_problems, personas):
    imp = importer.import_start(f=file_with_problems, actor=personas.manager)
    before = Customer.objects.count()
    imp = importer.import_check(import_id=imp.pk)
    assert (imp.state, imp.total, imp.valid, imp.duplicates, imp.invalid) == ("checked", 8, 2, 2, 4)
    assert Customer.objects.count() == before
    issues = {(i.row, i.kind): i.message for i in ImportIssue.objects.filter(customer_import=imp)}
    assert issues[(3, "error")] == "The name is empty."
    assert "is not a valid phone number" in issues[(4, "error")] or "is not a phone number" in issues[(4, "error")]
    assert "already on file" in issues[(5, "duplicate")]
    assert issues[(6, "duplicate")] == "138 1234 5678 is also on row 2 of this file."
    assert ImportIssue.objects.filter(customer_import=imp, row=7).count() == 2  # e-mail and region, both listed
    assert "is not a date" in issues[(8, "error")]
    existing = ImportIssue.objects.get(customer_import=imp, row=5).existing
    assert existing.name == "老客户"


def test_import_creates_customers_phones_assets_and_contracts(file_with_problems, personas, lists):
    region, level = lists
    imp = importer.import_check(import_id=importer.import_start(f=file_with_problems, actor=personas.manager).pk)
    imp = importer.import_run(import_id=imp.pk)
    assert (imp.state, imp.created_customers, imp.created_assets, imp.failed) == ("done", 2, 1, 0)
    wang = Customer.objects.get(name="王芳")
    assert sorted(wang.phones.values_list("number", flat=True)) == ["+861062750817", "+8613812345678"]
    assert wang.region == region and wang.address == "北京市朝阳区建国路88号" and wang.email == "wang@example.com"
    asset = Asset.objects.get(customer=wang)
    assert (asset.product, asset.model, asset.install_date, asset.warranty_end) == (
        "空调", "KFR-35", date(2025, 6, 1), date(2028, 5, 31))
    contract = ServiceContract.objects.get(customer=wang)
    assert (contract.level, contract.start_date, str(contract.price)) == (level, date(2026, 1, 1), "1200.00")
    assert CustomerEvent.objects.filter(customer=wang, kind="created", data__row=2).exists()
    assert Customer.objects.get(name="孙丽").region == region  # the code works as well as the name
    # the log: every row not imported, with its reason
    assert ImportIssue.objects.filter(customer_import=imp).values("row").distinct().count() == 6
    # running it again imports nothing more
    importer.import_run(import_id=imp.pk)
    assert Customer.objects.filter(name="王芳").count() == 1


def test_excel_files_with_numbers_and_dates_in_cells(personas, lists):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Mobile", "Product", "Installed"])
    ws.append(["Wang Fang", 13812345678, "Boiler", date(2025, 3, 1)])
    buf = io.BytesIO()
    wb.save(buf)
    f = SimpleUploadedFile("customers.xlsx", buf.getvalue(),
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    imp = importer.import_start(f=f, actor=personas.manager)
    assert imp.mapping == {"name": 0, "phone1": 1, "product": 2, "install_date": 3}
    imp = importer.import_run(import_id=importer.import_check(import_id=imp.pk).pk)
    assert imp.created_customers == 1
    assert Asset.objects.get().install_date == date(2025, 3, 1)
    assert CustomerPhone.objects.get().number == "+8613812345678"


@pytest.mark.parametrize("name, content, message", [
    ("notes.txt", b"x", "Upload a .csv or .xlsx file."),
    ("fake.xlsx", b"not a zip", "This is not a readable Excel (.xlsx) file."),
    ("empty.csv", b"", "The submitted file is empty."),
    ("header-only.csv", b"\n\n", "The file is empty."),
])
def test_bad_files_are_refused_with_a_reason(name, content, message, client_for):
    response = client_for("manager").post(reverse("customers:imports"),
                                          {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200 and message in response.content.decode()
    assert not CustomerImport.objects.exists()


def test_a_batch_the_database_refuses_is_rolled_back_whole(personas, customer_factory, monkeypatch):
    """All or nothing per batch: a phone taken between the check and the insert (here: the database check is
    skipped for the second batch, as in the moment of a race) rolls that batch back; the others go in."""
    monkeypatch.setattr(importer, "IMPORT_BATCH", 2)
    rows = [[f"客户{i}", f"1381234{i:04d}"] + [""] * 12 for i in range(6)]
    imp = importer.import_check(import_id=importer.import_start(f=_csv(rows), actor=personas.manager).pk)
    assert imp.valid == 6
    customer_factory(name="抢先", phone="13812340003")  # taken after the check: row 5 (line 5, batch 2)
    real = importer._against_file_and_database
    calls = {"n": 0}

    def racing(rows, seen):
        calls["n"] += 1
        if calls["n"] == 2:
            return None  # the second batch does not see the new customer in time
        return real(rows, seen)

    monkeypatch.setattr(importer, "_against_file_and_database", racing)
    imp = importer.import_run(import_id=imp.pk)
    assert (imp.state, imp.created_customers, imp.failed) == ("done", 4, 2)
    assert not Customer.objects.filter(name__in=["客户2", "客户3"]).exists()  # the whole batch, not one row
    failed = ImportIssue.objects.filter(customer_import=imp, kind="failed")
    assert sorted(failed.values_list("row", flat=True)) == [4, 5]
    assert "import these rows again" in failed.first().message


def test_an_import_stopped_part_way_continues_from_its_cursor(personas, monkeypatch):
    monkeypatch.setattr(importer, "IMPORT_BATCH", 2)
    rows = [[f"客户{i}", f"1381234{i:04d}"] + [""] * 12 for i in range(5)]
    imp = importer.import_check(import_id=importer.import_start(f=_csv(rows), actor=personas.manager).pk)
    imp = importer.import_run(import_id=imp.pk, time_budget=0)  # stops after the first batch
    assert (imp.state, imp.position, imp.created_customers) == ("importing", 3, 2)
    imp = importer.import_run(import_id=imp.pk)
    assert (imp.state, imp.created_customers) == ("done", 5)
    assert Customer.objects.filter(name__startswith="客户").count() == 5


def test_the_pages_from_upload_to_log(file_with_problems, client_for, django_capture_on_commit_callbacks):
    client = client_for("manager")
    response = client.post(reverse("customers:imports"), {"file": file_with_problems})
    imp = CustomerImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("customers:import_detail", args=[imp.pk])
    url = reverse("customers:import_detail", args=[imp.pk])
    page = client.get(url).content.decode()
    assert 'id="import-mapping"' in page and "姓名" in page
    mapping = {f"{k}": str(v) for k, v in imp.mapping.items()}
    # the same column twice is refused
    bad = client.post(url, {"do": "check", **mapping, "notes": mapping["name"]})
    assert "This column is already used for" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"do": "check", **mapping})
    page = client.get(url).content.decode()
    assert "Rows without problems" in page and "138 1234 5678 is also on row 2 of this file." in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"do": "import"})
    imp.refresh_from_db()
    assert imp.state == "done" and imp.created_customers == 2
    wang = Customer.objects.get(name="王芳")
    assert wang.first_contact_at is None and wang.owner is None  # not invented: the file does not say
    assert client.get(reverse("customers:detail", args=[wang.pk])).status_code == 200
    log = b"".join(client.get(reverse("customers:import_log", args=[imp.pk])).streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(log)))
    assert lines[0] == ["Row", "Outcome", "Column", "Reason", "Customer on file"]
    assert {ln[0] for ln in lines[1:] if ln and ln[0]} == {"3", "4", "5", "6", "7", "8"}
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "导入客户" in zh


def test_bench_import_smoke(settings, tmp_path):
    """bench_import runs end to end on a small n and ends with its JSON line (the 100,000-row run is manual)."""
    import json

    from django.core.management import call_command

    settings.MEDIA_ROOT = tmp_path
    out = io.StringIO()
    call_command("bench_import", n=250, stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["state"] == "done" and figures["rows"] == 250
    assert figures["valid"] + figures["duplicates"] + figures["invalid"] == 250
    assert figures["customers_created"] == figures["valid"] == figures["assets_created"]
    assert figures["invalid"] == 3 and figures["duplicates"] == 1  # rows 37, 137, 237 and 171
