"""The phone system's two reports, for browser tests (replaced by API calls once the API is in)."""
from django.utils import timezone

from telephony import services


def ring(base_url: str, *, call_id: str, caller: str, extension: str):
    return services.call_ringing(call_id=call_id, caller=caller, extension=extension)


def hang_up(base_url: str, *, call_id: str, after, duration: int):
    from telephony.models import Call

    rang_at = Call.objects.get(call_id=call_id).rang_at
    return services.call_ended(call_id=call_id, at=rang_at + after, duration_seconds=duration)
