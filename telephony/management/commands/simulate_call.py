"""Ring a desk phone without a phone system: try the caller's card, or check an installation.

    python manage.py simulate_call --from 13812345678 --extension 8001
    python manage.py simulate_call --from 13812345678 --extension 8001 --end-after 95

The same services the API's /api/v1/calls/ endpoints call; --end-after reports the end too.
"""
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from telephony import services


class Command(BaseCommand):
    help = "Report a ringing call (and optionally its end) as the phone system would."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="caller", required=True, help="the caller's number, any format")
        parser.add_argument("--extension", required=True, help="the desk phone's extension, e.g. 8001")
        parser.add_argument("--end-after", type=int, default=None, help="also end the call after this many seconds")

    def handle(self, *args, caller, extension, end_after, **options):
        call_id = f"sim-{uuid.uuid4().hex[:12]}"
        try:
            call = services.call_ringing(call_id=call_id, caller=caller, extension=extension)
            if end_after is not None:
                call = services.call_ended(call_id=call_id, at=call.rang_at + timedelta(seconds=end_after),
                                           duration_seconds=end_after)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        who = call.user.get_username() if call.user else "nobody (no profile has this extension)"
        customer = call.customer.name if call.customer else "unknown number"
        self.stdout.write(f"Call {call.call_id}: {call.caller_e164 or call.caller_raw} → {extension}, shown to {who}; "
                          f"customer: {customer}; at {timezone.localtime(call.rang_at):%H:%M:%S}"
                          + (f"; ended after {call.duration_seconds} s" if call.ended_at else ""))
