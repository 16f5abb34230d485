from django.db.models import QuerySet

from .models import Webhook, WebhookDelivery


def webhooks_list() -> QuerySet:
    return Webhook.objects.select_related("created_by").order_by("name", "id")


def webhook_deliveries(*, webhook: Webhook) -> QuerySet:
    """The log of one webhook, newest first (webhook_delivery_log_idx), with what each row shows."""
    return (WebhookDelivery.objects.filter(webhook=webhook)
            .select_related("message", "requested_by").order_by("-at", "-id"))
