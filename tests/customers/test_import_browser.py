"""Issue 19 item 8 in the browser: a manager uploads a customer file with errors, reads them per row, fixes
the file, uploads it again and imports it. Screenshots at 1366 px (English) and 360 px (Chinese)."""
import csv
import io

import pytest
from playwright.sync_api import expect

from customers.models import Customer

from ..pages import shot, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    for lang, width, prefix in (("en", 1366, "A"), ("zh-hans", 360, "B")):
        page = signed_in_page(browser, live_server, "manager", lang=lang, width=width)
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
        shot(page, "import", f"import-checked-{width}-{lang}.png")

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
        shot(page, "import", f"import-done-{width}-{lang}.png")
        assert Customer.objects.filter(name__startswith=prefix).count() == 3
        page.context.close()
