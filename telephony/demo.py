"""Demo calls for `make run`: yesterday's calls on the supervisors' call log (Follow-up → Incoming calls).

They rang more than 30 minutes ago, so no card pops; `manage.py simulate_call` rings a desk now.
"""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Contact, CustomerPhone

from . import services
from .models import Call


def load(*, stdout=None, options=None, now=None):
    if Call.objects.filter(call_id__startswith="demo-").exists():
        return
    User = get_user_model()
    people = {u.username: u for u in User.objects.filter(username__in=["frontdesk", "agent"])}
    phones = list(CustomerPhone.objects.select_related("customer").order_by("pk")[:2])
    if len(people) < 2 or len(phones) < 2:
        return
    now = now or timezone.now()
    day = now - timedelta(days=1)
    calls = [
        # (call id, caller, extension, minutes before now, talk seconds, then)
        ("demo-1", phones[0].number, "8001", 26 * 60, 192, "log"),
        ("demo-2", "+86 139 0000 0001", "8001", 25 * 60, 64, "log"),   # not on file: logged without a customer
        ("demo-3", phones[1].number, "8002", 24 * 60 + 30, 35, "dismiss"),
        ("demo-4", phones[1].number, "8009", 23 * 60, 0, ""),          # an extension nobody holds: not answered
    ]
    holder = {"8001": people["frontdesk"], "8002": people["agent"]}
    for call_id, caller, extension, minutes, seconds, then in calls:
        rang = now - timedelta(minutes=minutes)
        call = services.call_ringing(call_id=call_id, caller=caller, extension=extension, at=rang)
        services.call_ended(call_id=call_id, at=rang + timedelta(seconds=seconds + 8), duration_seconds=seconds)
        if then == "log" and call.user_id:
            services.call_log(call=call, handled_by=holder[extension], purpose=Contact.Purpose.REPAIR
                              if call.customer_id else Contact.Purpose.INQUIRY,
                              caller_name="" if call.customer_id else "陈先生", notes="演示来电")
        elif then == "dismiss" and call.user_id:
            services.call_dismiss(call=call, user=holder[extension])
    if stdout is not None:
        stdout.write(f"Telephony: {len(calls)} calls from {timezone.localtime(day):%Y-%m-%d} on the call log.")
