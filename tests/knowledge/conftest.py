import pytest

from knowledge.models import Article, Category
from knowledge.services import ArticleInput, article_create, article_publish



@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Personas are created per test; the production hasher would spend most of the suite hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sync_roles_once_per_test(monkeypatch):
    # The shared persona factory re-syncs every role group for each persona it creates; within one
    # test the roles do not change, so the first sync is enough (each test still syncs from scratch).
    from servicedesk import roles

    real, done = roles.sync_roles, []

    def once():
        if not done:
            real()
            done.append(True)

    monkeypatch.setattr(roles, "sync_roles", once)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    # Vote rate limits live in the cache (a file cache in development, Redis in CI): every test starts with
    # fresh keys (its own prefix). Clearing the shared cache would empty it for the other test workers too.
    import uuid

    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"kb-{uuid.uuid4().hex}"}}
    yield


@pytest.fixture
def make_article(personas):
    """make_article(title=..., status='published', visibility='public', ...) through the services."""

    def _make(*, title="How to reset the printer", body="Hold the **power** button for 10 seconds.",
              status=Article.Status.PUBLISHED, visibility=Article.Visibility.PUBLIC, author=None, category=None,
              tags=None, product="", model="", review_by=None, owner=None, now=None):
        author = author or personas.agent
        article = article_create(
            data=ArticleInput(title=title, body=body, category=category, tags=tags, product=product, model=model,
                              visibility=visibility, review_by=review_by, owner=owner),
            author=author, now=now,
        )
        if status in (Article.Status.PUBLISHED, Article.Status.ARCHIVED):
            article = article_publish(article=article, actor=author, now=now)
        if status == Article.Status.ARCHIVED:
            from knowledge.services import article_archive

            article = article_archive(article=article, actor=author, now=now)
        return article

    return _make


@pytest.fixture
def kb_fixture(make_article):
    """The fixed bilingual set (tests/knowledge/fixture_articles.py), every article published."""
    categories = {}
    out = {}
    for key, spec in ARTICLES.items():
        spec = dict(spec)
        name = spec.pop("category")
        if name not in categories:
            categories[name] = Category.objects.create(name=name)
        out[key] = make_article(category=categories[name], **spec)
    return out


# --- The FIXED bilingual article set for relevance tests (search and ticket suggestions) ---------------
# Keys are stable names used by the query → expected-article pairs. Bodies are written the way the
# department writes its answers; nothing here is tuned per query.
ARTICLES = {
    "printer_jam_zh": dict(
        title="打印机经常卡纸怎么办",
        body="卡纸多数是纸张受潮、纸张过厚或搓纸轮磨损造成的。\n\n1. 关闭电源，打开前盖，顺着出纸方向慢慢取出卡住的纸张。\n"
             "2. 检查纸盒，纸张不要超过装纸上限。\n3. 搓纸轮表面发亮打滑时，需要上门更换搓纸轮。",
        product="打印机", model="LJ-2200", category="打印机", visibility="public", tags=["卡纸"],
    ),
    "printer_jam_en": dict(
        title="Printer paper jams: how to clear them",
        body="Turn the printer off, open the front cover and pull the jammed sheet out in the direction of the paper path. "
             "Fan the paper before loading it, do not overfill the tray, and replace a worn pickup roller.",
        product="Printer", model="LJ-2200", category="Printers", visibility="public", tags=["paper jam"],
    ),
    "printer_streaks_zh": dict(
        title="打印出来有黑线或字迹模糊",
        body="黑线通常是硒鼓表面划伤或墨粉不足。先取出硒鼓左右摇匀墨粉；若仍有黑线，请更换硒鼓。字迹模糊时请检查打印浓度设置。",
        product="打印机", model="LJ-2200", category="打印机", visibility="public", tags=["硒鼓"],
    ),
    "printer_offline_en": dict(
        title="Printer shows offline in Windows",
        body="Check the network cable and that the printer has an IP address. In Windows open Devices and Printers, "
             "untick 'Use printer offline' and reinstall the driver if the printer still appears offline.",
        product="Printer", model="LJ-2200", category="Printers", visibility="public", tags=["driver", "network"],
    ),
    "ac_not_cooling_zh": dict(
        title="空调不制冷的常见原因",
        body="空调开机后不制冷，先确认遥控器设为制冷模式、温度低于室温。滤网太脏会让出风量变小，请清洗滤网。"
             "室外机不转或者制冷剂（氟）不足需要技术工程师上门检测加氟。",
        product="空调", model="KFR-35GW", category="空调", visibility="public", tags=["制冷"],
    ),
    "ac_leak_en": dict(
        title="Air conditioner leaking water indoors",
        body="Water dripping from the indoor unit usually means the drain pipe is blocked or bent, or the unit is not level. "
             "Clear the drain pipe and clean the filter. If the leak continues, book a technician visit.",
        product="Air conditioner", model="KFR-35GW", category="Air conditioners", visibility="public", tags=["leak"],
    ),
    "ac_remote_zh": dict(
        title="空调遥控器按键没反应",
        body="遥控器没反应时先更换两节7号电池；对准空调接收窗再按键。手机摄像头对准遥控器发射头按键，看不到闪光说明遥控器损坏。",
        product="空调", model="KFR-35GW", category="空调", visibility="public", tags=["遥控器"],
    ),
    "ac_error_en": dict(
        title="Air conditioner error codes E1 and E4",
        body="E1 means the indoor temperature sensor is faulty; E4 means the outdoor unit protection tripped. "
             "Switch off at the breaker for five minutes. If the code comes back, a technician must replace the sensor.",
        product="Air conditioner", model="KFR-72LW", category="Air conditioners", visibility="internal", tags=["error code"],
    ),
    "heater_no_hot_zh": dict(
        title="燃气热水器不出热水",
        body="打开热水龙头后热水器不点火：检查燃气阀门是否打开、电池是否没电、水压是否太低。"
             "冬天进水管结冰也会不出热水，请等待解冻后再使用。",
        product="热水器", model="JSQ-16", category="热水器", visibility="public", tags=["点火"],
    ),
    "heater_ignition_en": dict(
        title="Water heater ignition failure (code E1)",
        body="Code E1 on the water heater means the burner did not ignite. Check that the gas valve is open and the "
             "batteries are fresh. Repeated ignition failure needs a technician to check the igniter.",
        product="Water heater", model="JSQ-16", category="Water heaters", visibility="public", tags=["ignition"],
    ),
    "heater_leak_zh": dict(
        title="热水器漏水处理方法",
        body="发现热水器漏水，立即关闭进水阀和燃气阀。接口处漏水多为密封圈老化，机身内部漏水需要更换水箱，请预约上门维修。",
        product="热水器", model="JSQ-16", category="热水器", visibility="public", tags=["漏水"],
    ),
    "elevator_trapped_zh": dict(
        title="电梯困人应急处理流程",
        body="接到电梯困人报警：安抚被困乘客，告知不要扒门；通知维保技术工程师三十分钟内到场；"
             "断开主电源后用盘车手轮将轿厢移到平层，再打开厅门救出乘客。全程记录时间。",
        product="电梯", model="EL-800", category="电梯", visibility="internal", tags=["困人", "应急"],
    ),
    "elevator_door_en": dict(
        title="Elevator door does not close",
        body="If the elevator door keeps reopening, check the door sensor (light curtain) for dirt and the door sill "
             "for debris. Clean the sill track; a faulty light curtain must be replaced by a technician.",
        product="Elevator", model="EL-800", category="Elevators", visibility="internal", tags=["door"],
    ),
    "elevator_noise_zh": dict(
        title="电梯运行有异响的检查步骤",
        body="电梯运行时有异响：检查导轨润滑、导靴磨损和曳引机轴承。异响伴随抖动时立即停梯检修。",
        product="电梯", model="EL-800", category="电梯", visibility="internal", tags=["异响"],
    ),
    "fridge_en": dict(
        title="Refrigerator not cooling",
        body="Make sure the refrigerator is not next to a heat source and the door seal closes tightly. "
             "Defrost the freezer if ice blocks the vents. If the compressor does not run, book a repair.",
        product="Refrigerator", model="BCD-450", category="Refrigerators", visibility="public", tags=["cooling"],
    ),
    "warranty_zh": dict(
        title="保修政策：哪些情况可以免费维修",
        body="产品在保修期内、非人为损坏的故障可以免费维修。保修期外维修需要先确认报价并签字后才开始维修。",
        product="", model="", category="服务政策", visibility="public", tags=["保修"],
    ),
    "booking_en": dict(
        title="How to book a repair visit",
        body="Call our service hotline or tell the front desk your phone number, the product model and the fault. "
             "We give you a ticket number and confirm the visit time by phone.",
        product="", model="", category="Service policy", visibility="public", tags=["booking"],
    ),
    "complaint_zh": dict(
        title="客户投诉处理流程（内部）",
        body="接到投诉立即登记；当天完成调查核实；上报主管决定处理意见和责任部门；回复客户处理结果，回访后才能结案。",
        product="", model="", category="服务政策", visibility="internal", tags=["投诉"],
    ),
    "ac_cleaning_zh": dict(
        title="空调清洗保养指南",
        body="每两周清洗一次滤网；每年换季前请专业人员清洗蒸发器和冷凝器，可以提升制冷效果并减少异味。",
        product="空调", model="KFR-35GW", category="空调", visibility="public", tags=["保养"],
    ),
    "invoice_en": dict(
        title="Invoices for paid repairs",
        body="An invoice is issued for every paid repair. Tell the technician the company name and tax number; "
             "the electronic invoice (发票) is emailed within three working days.",
        product="", model="", category="Service policy", visibility="public", tags=["invoice", "发票"],
    ),
}

# query → the article that must be among the top 3 results (staff search, everything published).
SEARCH_CASES = [
    ("打印机卡纸", "printer_jam_zh"),
    ("printer paper jam", "printer_jam_en"),
    ("打印 黑线", "printer_streaks_zh"),
    ("printer offline", "printer_offline_en"),
    ("空调不制冷", "ac_not_cooling_zh"),
    ("air conditioner leaking", "ac_leak_en"),
    ("遥控器没反应", "ac_remote_zh"),
    ("error code E4", "ac_error_en"),
    ("热水器没有热水", "heater_no_hot_zh"),
    ("water heater ignition", "heater_ignition_en"),
    ("热水器漏水", "heater_leak_zh"),
    ("电梯困人", "elevator_trapped_zh"),
    ("elevator door won't close", "elevator_door_en"),
    ("电梯异响", "elevator_noise_zh"),
    ("refrigerator not cooling", "fridge_en"),
    ("免费维修", "warranty_zh"),
    ("book a repair", "booking_en"),
    ("投诉处理", "complaint_zh"),
    ("空调清洗", "ac_cleaning_zh"),
    ("发票", "invoice_en"),
    ("KFR-35GW leak", "ac_leak_en"),
    ("paper jams", "printer_jam_en"),
]

# A ticket (subject, description, asset product/model) → the article that must be suggested (top 3).
SUGGESTION_CASES = [
    (("打印机又卡纸了", "客户说打印几张就卡纸", "打印机", "LJ-2200"), "printer_jam_zh"),
    (("Printer jams every morning", "Paper gets stuck in the tray", "Printer", "LJ-2200"), "printer_jam_en"),
    (("空调开了不凉", "空调不制冷，室内很热", "空调", "KFR-35GW"), "ac_not_cooling_zh"),
    (("Water leaking from the AC", "The indoor unit drips water onto the floor", "Air conditioner", "KFR-35GW"), "ac_leak_en"),
    (("热水器打不着火", "热水器不出热水，显示E1", "热水器", "JSQ-16"), "heater_no_hot_zh"),
    (("电梯有人被困", "3号楼电梯困人，请尽快救援", "电梯", "EL-800"), "elevator_trapped_zh"),
    (("Lift door keeps reopening", "The elevator door does not close on floor 5", "Elevator", "EL-800"), "elevator_door_en"),
    (("Fridge warm", "Refrigerator not cooling since yesterday", "Refrigerator", "BCD-450"), "fridge_en"),
]


@pytest.fixture
def search_cases():
    return SEARCH_CASES


@pytest.fixture
def suggestion_cases():
    return SUGGESTION_CASES

