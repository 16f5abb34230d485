"""Issue 19 item 8 in the browser: a manager uploads a customer file with errors, reads them per row, fixes
the file, uploads it again and imports it. Screenshots at 1366 px (English) and 360 px (Chinese)."""
import csv
import io
import os

import pytest
from playwright.sync_api import expect

from customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots/import")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _file(tmp_path, name, rows):
    path = tmp_path / name
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "手机", "地址", "产品", "安装日期"])
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("gb18030"))
    return str(path)


def test_manager_imports_a_file_with_errors_and_fixes_them(browser, live_server, personas, customer_factory,
                                                           tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    personas.manager
    customer_factory(name="老客户", phone="13900000001")
    for lang, locale, width, prefix in (("en", "en-US", 1366, "A"), ("zh-hans", "zh-CN", 360, "B")):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
        context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", "pw")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        base = 13812340000 + (0 if prefix == "A" else 100)
        bad = _file(tmp_path, f"{prefix}-customers.csv", [
            [f"{prefix}王芳", str(base + 1), "北京市朝阳区建国路88号", "空调", "2025-06-01"],
            [f"{prefix}李雷", "12345", "", "", ""],                       # not a phone
            [f"{prefix}韩梅梅", "13900000001", "", "", ""],               # already on file
            [f"{prefix}张伟", str(base + 4), "", "冰箱", "2025-13-01"],   # not a date
        ])
        page.goto(live_server.url + "/customers/imports/")
        page.set_input_files("input[name=file]", bad)
        with page.expect_navigation():
            page.locator("#import-upload").click()
        expect(page.locator("#import-mapping select[name=name]")).to_have_value("0")  # 姓名 recognised
        with page.expect_navigation():
            page.locator("#import-check").click()
        issues = page.locator("#import-issues")
        expect(issues).to_contain_text("12345")
        expect(issues).to_contain_text("2025-13-01")
        expect(page.locator("#import-counts")).to_contain_text("1")
        shot(page, f"import-checked-{width}-{lang}.png")

        # the manager fixes the two rows in the file and uploads it again
        fixed = _file(tmp_path, f"{prefix}-customers-fixed.csv", [
            [f"{prefix}王芳", str(base + 1), "北京市朝阳区建国路88号", "空调", "2025-06-01"],
            [f"{prefix}李雷", str(base + 2), "", "", ""],
            [f"{prefix}张伟", str(base + 4), "", "冰箱", "2025-03-01"],
        ])
        page.goto(live_server.url + "/customers/imports/")
        page.set_input_files("input[name=file]", fixed)
        with page.expect_navigation():
            page.locator("#import-upload").click()
        with page.expect_navigation():
            page.locator("#import-check").click()
        with page.expect_navigation():
            page.locator("#import-run").click()
        expect(page.locator("#import-state")).to_have_text("done" if lang == "en" else "已完成")
        expect(page.locator("#import-created")).to_have_text("3")
        shot(page, f"import-done-{width}-{lang}.png")
        assert Customer.objects.filter(name__startswith=prefix).count() == 3
        context.close()
