from celery import shared_task


@shared_task(ignore_result=True)
def review_reminders_send(scheduled_at: str | None = None) -> int:
    """Weekly: remind owners of published articles past their review-by date (once per article per week)."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from .services import review_reminders_send as send

    now = parse_datetime(scheduled_at) if scheduled_at else timezone.now()
    total = 0
    while True:  # bounded batches until nothing is left for this week
        sent = send(now=now)
        total += sent
        if not sent:
            return total
