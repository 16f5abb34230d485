"""Demo demerit slips and one day's inspection sample (development only). Small, idempotent."""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from reports.periods import local_midnight, local_tz

from .models import ChecklistItem, DemeritCategory, DemeritSlip, InspectionTask, SeverityLevel
from .services import inspection_record, sample_create_daily, slip_acknowledge, slip_record, slip_withdraw

SLIPS = [
    # person, category (English name), days ago, hour, what happened, acknowledged with, withdrawn because
    ("frontdesk", "Desk left unattended", 3, 10, "前台 10:05–10:25 无人值守，两位来访客户等候。", "去仓库取资料，已安排同事但同事未到。", ""),
    ("frontdesk", "Phone not answered within three rings or notes unclear", 1, 15,
     "来电记录缺少客户地址，回访无法联系。", None, ""),
    ("agent2", "Late or wrong reports", 5, 17, "周报晚交一天。", None, "周报截止日期通知有误，撤销。"),
]


def load(now=None, *, stdout=None, options=None):
    User = get_user_model()
    staff = {u.username: u for u in User.objects.filter(username__in=["frontdesk", "agent2", "supervisor", "manager"])}
    if len(staff) < 4:
        if stdout:
            stdout.write("Quality: demo staff missing, skipped.")
        return
    now = now or timezone.now()
    today = timezone.localtime(now, local_tz()).date()
    made = 0
    for username, category_en, days_ago, hour, text, ack, withdraw in SLIPS:
        category = DemeritCategory.objects.filter(name_en=category_en).first()
        when = local_midnight(today - timedelta(days=days_ago)) + timedelta(hours=hour)
        if category is None or DemeritSlip.objects.filter(person=staff[username], category=category,
                                                          occurred_at=when).exists():
            continue
        slip = slip_record(person=staff[username], category=category, description=text, occurred_at=when,
                           recorded_by=staff["supervisor"] if username == "frontdesk" else staff["manager"], now=now)
        if ack is not None:
            slip_acknowledge(slip=slip, by=staff[username], response=ack, now=now)
        if withdraw:
            slip_withdraw(slip=slip, by=staff["manager"], reason=withdraw, now=now)
        made += 1
    sample = sample_create_daily(now=now)
    inspected = 0
    if sample is not None:
        # The supervisor inspects the first item that is not their own work: one finding, so the
        # findings list and the inspected person's bell have something to show.
        task = (InspectionTask.objects.filter(sample=sample, person__isnull=False)
                .exclude(person=staff["supervisor"]).order_by("id").first())
        item = ChecklistItem.objects.filter(active=True).order_by("order", "pk").first()
        level = SeverityLevel.objects.filter(code="light").first()
        if task and item and level:
            inspection_record(task=task, inspector=staff["supervisor"], results=[(item, level, "结束语不规范。")],
                              now=now)
            inspected = 1
    if stdout:
        stdout.write(f"Quality: {made} demerit slips, sample of {sample.size if sample else 0} items "
                     f"({inspected} inspected).")
