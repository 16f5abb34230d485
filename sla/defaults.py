"""The default SLA policies (domain.md §4) and the Chinese calendar, installed by a data migration
and by `manage.py sla_install_defaults` (idempotent). Functions take the model classes so the
migration can pass its historical models.

Durations: "working day" = 8 working hours on the default calendar (09:00–12:00, 13:00–18:00).
"""
import datetime as dt
from decimal import Decimal

BUSINESS, ALL_DAY = "business", "all_day"
WD = 8  # working hours in a working day

# name, order, criteria, targets {target: (hours, clock)}
DEFAULT_POLICIES = [
    ("Urgent complaint", 5, {"kind": "complaint", "priority": 0},
     {"first_response": (4, ALL_DAY), "investigation": (WD, BUSINESS), "solution": (5 * WD, BUSINESS),
      "resolution": (5 * WD, BUSINESS)}),
    ("Urgent repair", 5, {"kind": "repair", "priority": 0},
     {"first_response": (4, ALL_DAY), "resolution": (WD, BUSINESS)}),
    ("Urgent", 6, {"priority": 0},
     {"first_response": (4, ALL_DAY), "resolution": (WD, BUSINESS)}),
    ("Diamond complaint", 10, {"kind": "complaint", "tier": "diamond"},
     {"first_response": (8, ALL_DAY), "investigation": (4, BUSINESS), "solution": (3 * WD, BUSINESS),
      "resolution": (3 * WD, BUSINESS)}),
    ("Diamond", 10, {"tier": "diamond"},
     {"first_response": (8, ALL_DAY), "resolution": (WD, BUSINESS)}),
    ("Gold complaint", 20, {"kind": "complaint", "tier": "gold"},
     {"first_response": (12, ALL_DAY), "investigation": (WD, BUSINESS), "solution": (4 * WD, BUSINESS),
      "resolution": (4 * WD, BUSINESS)}),
    ("Gold", 20, {"tier": "gold"},
     {"first_response": (12, ALL_DAY), "resolution": (2 * WD, BUSINESS)}),
    ("Complaint", 100, {"kind": "complaint"},
     {"first_response": (24, ALL_DAY), "investigation": (WD, BUSINESS), "solution": (5 * WD, BUSINESS),
      "resolution": (5 * WD, BUSINESS)}),
    ("Repair", 100, {"kind": "repair"},
     {"first_response": (24, ALL_DAY), "resolution": (2 * WD, BUSINESS)}),
    # Issue 17: an installation is booked, not urgent — answered within the day like every after-sales request,
    # installed within 5 working days.
    ("Installation", 100, {"kind": "installation"},
     {"first_response": (24, ALL_DAY), "resolution": (5 * WD, BUSINESS)}),
    ("Default", 1000, {},
     {"first_response": (24, ALL_DAY), "resolution": (3 * WD, BUSINESS)}),
]

# Issue 17, the green channel for key accounts: never slower than any tier or urgent default they could
# otherwise match (a key-account policy wins at equal specificity). First response 2 h for a repair
# (the urgent default is 4 h), 4 h otherwise (Diamond: 8 h); repairs resolved within 1 working day
# (Diamond: 1, Gold: 2, default repair: 2); complaints investigated within half a working day and
# answered within 3 working days (Diamond's figures; the default complaint has 1 and 5).
KEY_ACCOUNT_POLICIES = [
    ("Key account complaint", 4, {"kind": "complaint", "key_account": "yes"},
     {"first_response": (4, ALL_DAY), "investigation": (4, BUSINESS), "solution": (3 * WD, BUSINESS),
      "resolution": (3 * WD, BUSINESS)}),
    ("Key account repair", 4, {"kind": "repair", "key_account": "yes"},
     {"first_response": (2, ALL_DAY), "resolution": (WD, BUSINESS)}),
    ("Key account", 4, {"key_account": "yes"},
     {"first_response": (4, ALL_DAY), "resolution": (WD, BUSINESS)}),
]


def install_policies(SLAPolicy, SLATarget, only: tuple[str, ...] = ()) -> int:
    """Create the default policies that do not exist yet (by name); with `only`, just those named (a later
    migration adds its new defaults without bringing back ones a manager deleted). Returns how many were created.

    The key-account ones only once the model has the criterion (sla 0010 installs them; the older
    0002 and 0009 run against a historical model without it)."""
    created = 0
    fields = {f.name for f in SLAPolicy._meta.get_fields()}
    defaults = DEFAULT_POLICIES + (KEY_ACCOUNT_POLICIES if "key_account" in fields else [])
    for name, order, criteria, targets in defaults:
        if (only and name not in only) or SLAPolicy.objects.filter(name=name).exists():
            continue
        policy = SLAPolicy.objects.create(name=name, order=order, **criteria)
        SLATarget.objects.bulk_create(
            SLATarget(policy=policy, target=target, hours=Decimal(hours), clock=clock,
                      # Breaches of the customer-facing first answer go straight to the supervisor.
                      reassign_to_supervisor=False)
            for target, (hours, clock) in targets.items()
        )
        created += 1
    return created


CHINA_CALENDAR_NAME = "China (Mon–Fri 09:00–18:00)"


def install_china_calendar(BusinessCalendar, BusinessHours, CalendarDay, *, years) -> tuple:
    """The Chinese calendar: Mon–Fri 09:00–12:00/13:00–18:00, public holidays and 调休 make-up working
    days from `holidays.China` for `years`. Idempotent: only missing dates are added, so a manager's
    corrections stay. Returns (calendar, number of days added)."""
    import uuid

    import holidays

    calendar = BusinessCalendar.objects.filter(name=CHINA_CALENDAR_NAME).first()
    if calendar is None:
        calendar = BusinessCalendar.objects.create(
            name=CHINA_CALENDAR_NAME, time_zone="Asia/Shanghai",
            is_default=not BusinessCalendar.objects.filter(is_default=True).exists(),
        )
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=calendar, weekday=wd, start=dt.time(9), end=dt.time(18),
                          lunch_start=dt.time(12), lunch_end=dt.time(13))
            for wd in range(5)
        )
    years = sorted(set(years))
    cn = holidays.China(years=years, language="zh_CN")  # the department's own names: 春节, 国庆节 …
    wanted = set(years)
    existing = set(CalendarDay.objects.filter(calendar=calendar).values_list("date", flat=True))
    rows = [
        CalendarDay(calendar=calendar, date=day, kind="holiday", name=str(label)[:100])
        for day, label in sorted(cn.items()) if day.year in wanted and day not in existing
    ]
    # weekend_workdays also carries some unrelated 2001–2011 dates: filter by year.
    rows += [
        CalendarDay(calendar=calendar, date=day, kind="workday", name="调休")
        for day in sorted(cn.weekend_workdays) if day.year in wanted and day not in existing
    ]
    CalendarDay.objects.bulk_create(rows)
    BusinessCalendar.objects.filter(pk=calendar.pk).update(revision=uuid.uuid4())
    return calendar, len(rows)
