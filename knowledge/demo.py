"""Demo knowledge articles in both languages (development only). Idempotent: existing titles are skipped."""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from .models import Article, Category
from .services import ArticleInput, article_create, article_publish

AC, PRN, WH, EL, POL = "Air conditioners / 空调", "Printers / 打印机", "Water heaters / 热水器", "Elevators / 电梯", "Service policy / 服务政策"
PUB, INT = Article.Visibility.PUBLIC, Article.Visibility.INTERNAL

# (category, product, model, visibility, tags, title, body)
ARTICLES = [
    (AC, "Air conditioner", "KFR-35GW", PUB, ["制冷"], "空调不制冷的常见原因",
     "空调开机后不制冷，请按顺序检查：\n\n1. 遥控器是否设为**制冷模式**，设定温度是否低于室温；\n2. 滤网是否太脏（建议两周清洗一次）；\n"
     "3. 室外机是否运转、周围是否有遮挡。\n\n以上都正常仍不制冷，可能是制冷剂（氟）不足，请预约技术工程师上门检测。"),
    (AC, "Air conditioner", "KFR-35GW", PUB, ["leak"], "Air conditioner leaking water indoors",
     "Water dripping from the indoor unit usually means the **drain pipe** is blocked or bent, or the unit is not level.\n\n"
     "- Check the drain pipe outside for kinks\n- Clean the filter\n- Make sure the unit is level\n\nIf it still leaks, book a technician visit."),
    (AC, "Air conditioner", "KFR-35GW", PUB, ["遥控器"], "空调遥控器按键没反应",
     "先更换两节7号电池，并对准空调接收窗按键。用手机摄像头对准遥控器发射头按键，屏幕上看不到闪光说明遥控器损坏，可到服务网点购买原装遥控器。"),
    (AC, "Air conditioner", "KFR-72LW", INT, ["error code"], "Air conditioner error codes E1, E4 and F2",
     "| code | meaning | action |\n|---|---|---|\n| E1 | indoor temperature sensor fault | replace sensor |\n"
     "| E4 | outdoor unit protection | check refrigerant pressure |\n| F2 | condenser sensor fault | replace sensor |\n\n"
     "Switch off at the breaker for five minutes first; if the code returns, dispatch a technician."),
    (AC, "Air conditioner", "KFR-35GW", PUB, ["保养"], "空调清洗保养指南",
     "每两周清洗一次滤网；每年换季前请专业人员清洗蒸发器和冷凝器，可以提升制冷效果、减少异味和耗电。"),
    (AC, "Air conditioner", "KFR-72LW", PUB, ["noise"], "Air conditioner makes a loud noise",
     "A rattling sound usually comes from a loose panel or the outdoor unit's mounting bracket. A whistling sound at start-up is "
     "normal refrigerant flow. Grinding noise from the fan means the bearing is worn: book a repair."),
    (AC, "Air conditioner", "KFR-72LW", INT, ["加氟", "安装"], "柜机加氟操作规范（技术工程师）",
     "1. 开机制冷运行十分钟，读取低压表数值；\n2. 低压低于0.4 MPa时从低压阀补充R32制冷剂；\n3. 补充后检测出风口温差应大于8℃；\n"
     "4. 在派工单上记录加注量和压力。"),
    (AC, "Air conditioner", "KFR-35GW", PUB, ["heating"], "Air conditioner blows cold air in heating mode",
     "In heating mode the unit waits a few minutes before blowing, to warm the coil. During defrost (every 40-60 minutes in cold "
     "weather) it stops heating for up to ten minutes. Below -10 °C heating capacity drops."),
    (PRN, "Printer", "LJ-2200", PUB, ["卡纸"], "打印机经常卡纸怎么办",
     "卡纸多数是纸张受潮、纸张过厚或搓纸轮磨损造成的。\n\n1. 关闭电源，打开前盖，顺着出纸方向慢慢取出卡住的纸张；\n"
     "2. 纸盒内的纸不要超过装纸上限；\n3. 搓纸轮表面发亮打滑时，需要上门更换搓纸轮。"),
    (PRN, "Printer", "LJ-2200", PUB, ["paper jam"], "Printer paper jams: how to clear them",
     "Turn the printer off, open the front cover and pull the jammed sheet out **in the direction of the paper path**. "
     "Fan the paper before loading it and do not overfill the tray. A shiny pickup roller must be replaced."),
    (PRN, "Printer", "LJ-2200", PUB, ["硒鼓"], "打印出来有黑线或字迹模糊",
     "黑线通常是硒鼓表面划伤或墨粉不足。先取出硒鼓左右摇匀墨粉；若仍有黑线，请更换硒鼓。字迹模糊时请检查打印浓度设置。"),
    (PRN, "Printer", "LJ-2200", PUB, ["driver"], "Printer shows offline in Windows",
     "Check the network cable and that the printer has an IP address (print a configuration page). In Windows open *Devices and "
     "Printers*, untick **Use printer offline** and reinstall the driver if it still appears offline."),
    (PRN, "Printer", "LJ-2200", PUB, ["无线"], "打印机如何连接无线网络",
     "在打印机面板进入“网络设置 → 无线向导”，选择公司Wi-Fi并输入密码。连接成功后打印一张配置页确认IP地址，再在电脑上添加打印机。"),
    (PRN, "Printer", "LJ-2200", INT, ["fuser"], "Replacing the fuser unit (technicians)",
     "Symptoms: toner rubs off the page, error 50.2. Let the printer cool for 30 minutes, remove the rear cover, release the two "
     "blue levers and slide the fuser out. Record the page count on the work order."),
    (PRN, "Printer", "LJ-2200", PUB, ["toner"], "How to replace the toner cartridge",
     "Open the front cover, pull the old cartridge out by its handle, shake the new cartridge gently five times, remove the seal "
     "and push it in until it clicks."),
    (WH, "Water heater", "JSQ-16", PUB, ["点火"], "燃气热水器不出热水",
     "打开热水龙头后热水器不点火：检查燃气阀门是否打开、电池是否没电、水压是否太低。冬天进水管结冰也会不出热水，请等待解冻后再使用。"),
    (WH, "Water heater", "JSQ-16", PUB, ["ignition"], "Water heater ignition failure (code E1)",
     "Code E1 means the burner did not ignite. Check that the gas valve is open and the batteries are fresh. Repeated ignition "
     "failure needs a technician to check the igniter and the gas pressure."),
    (WH, "Water heater", "JSQ-16", PUB, ["漏水"], "热水器漏水处理方法",
     "发现热水器漏水，立即关闭进水阀和燃气阀。接口处漏水多为密封圈老化，机身内部漏水需要更换水箱，请预约上门维修。"),
    (WH, "Water heater", "JSQ-16", PUB, ["temperature"], "Water temperature goes up and down",
     "Unstable temperature is usually low water pressure or a partly closed cold tap when mixing. Clean the inlet filter and set "
     "the heater to the temperature you want so you do not need to mix cold water."),
    (WH, "Water heater", "JSQ-16", PUB, ["安全"], "热水器有燃气味怎么办",
     "**立即关闭燃气总阀**，打开门窗通风，不要开关电器、不要使用明火和手机，到室外拨打燃气公司抢修电话，并联系我们安排检修。"),
    (WH, "Water heater", "JSQ-16", INT, ["维修"], "热水器风机故障代码E3检修步骤",
     "E3表示风压异常。检查排烟管是否堵塞、风机是否转动、风压开关软管是否脱落。更换风机后需试机十分钟并记录在派工单。"),
    (WH, "Water heater", "JSQ-16", PUB, ["winter"], "Protecting the water heater from freezing",
     "In freezing weather keep the heater powered so its anti-freeze heater works. If you leave for several days, close the gas "
     "and water valves and open the drain plug to empty the heater."),
    (EL, "Elevator", "EL-800", INT, ["困人", "应急"], "电梯困人应急处理流程",
     "1. 安抚被困乘客，告知不要扒门；\n2. 通知维保技术工程师**三十分钟内**到场；\n3. 断开主电源，用盘车手轮将轿厢移到平层；\n"
     "4. 打开厅门救出乘客，全程记录时间并上报主管。"),
    (EL, "Elevator", "EL-800", INT, ["door"], "Elevator door does not close",
     "If the door keeps reopening, check the light curtain for dirt and the door sill for debris. Clean the sill track; a faulty "
     "light curtain must be replaced."),
    (EL, "Elevator", "EL-800", INT, ["异响"], "电梯运行有异响的检查步骤",
     "检查导轨润滑、导靴磨损和曳引机轴承。异响伴随抖动时立即停梯检修，并在系统中登记故障原因。"),
    (EL, "Elevator", "EL-800", PUB, ["safety"], "What to do if you are trapped in an elevator",
     "Stay calm and press the alarm button or call the number in the car. Do not try to force the doors open. Our technicians "
     "arrive within 30 minutes."),
    (EL, "Elevator", "EL-800", INT, ["保养"], "电梯半月保养项目清单",
     "机房、轿厢、井道、底坑逐项检查：制动器间隙、曳引绳磨损、门锁触点、缓冲器、安全钳。保养后由物业签字确认。"),
    (EL, "Elevator", "EL-800", PUB, ["年检"], "电梯年检需要停梯多久",
     "电梯年度检验一般需要停梯半天。我们会提前三天张贴通知，检验结束后张贴新的合格证。"),
    (POL, "", "", PUB, ["保修"], "保修政策：哪些情况可以免费维修",
     "产品在保修期内、非人为损坏的故障可以免费维修。保修期外维修需要先确认报价并签字后才开始维修。"),
    (POL, "", "", PUB, ["booking"], "How to book a repair visit",
     "Call our service hotline or tell the front desk your phone number, the product model and the fault. We give you a ticket "
     "number and confirm the visit time by phone."),
]


def load(*, stdout, options):
    User = get_user_model()
    authors = [User.objects.get(username=u) for u in ("agent", "agent2", "supervisor")]
    existing = set(Article.objects.values_list("title", flat=True))
    categories = {}
    today = timezone.localdate()
    created = 0
    for i, (cat, product, model, visibility, tags, title, body) in enumerate(ARTICLES):
        if title in existing:
            continue
        if cat not in categories:
            categories[cat] = Category.objects.get_or_create(name=cat, defaults={"position": len(categories)})[0]
        author = authors[i % len(authors)]
        # A few are overdue for review so the review list and the weekly reminder have something to show.
        review_by = today - timedelta(days=7 + i) if i % 9 == 0 else today + timedelta(days=90 + i)
        article = article_create(
            data=ArticleInput(title=title, body=body, category=categories[cat], tags=tags, product=product, model=model,
                              visibility=visibility, review_by=review_by),
            author=author, note="Demo",
        )
        if i % 13 != 12:  # leave a couple as drafts
            article_publish(article=article, actor=author)
        created += 1
    stdout.write(f"Knowledge: {created} new articles ({Article.objects.count()} in all).")
