from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext
from django.utils.translation import gettext_lazy

from servicedesk.models import OutboxMessage

from . import services
from .models import Webhook, WebhookDelivery

PERM = "webhooks.manage_webhooks"


class _ManagersOnly:
    """The manager role holds webhooks.manage_webhooks; that one permission opens these admin pages."""

    def has_module_permission(self, request):
        return request.user.has_perm(PERM)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PERM)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(PERM)


@admin.register(Webhook)
class WebhookAdmin(_ManagersOnly, admin.ModelAdmin):
    list_display = ["name", "url", "events", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    # The address and the events change on the manager's page, which checks them (services._clean).
    readonly_fields = ["url", "events", "secret", "created_by", "created_at", "updated_at", "secret_rotated_at"]

    def has_add_permission(self, request):
        return False  # through the manager's page, which checks the address (services.webhook_create)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(PERM)


@admin.action(description=gettext_lazy("Replay the selected deliveries"))
def replay(modeladmin, request, queryset):
    done = 0
    ids = {row.message_id for row in queryset if row.message_id}
    for message in OutboxMessage.objects.filter(pk__in=ids, channel=OutboxMessage.Channel.WEBHOOK):
        try:
            services.webhook_replay(message=message, actor=request.user)
        except ValidationError as exc:
            modeladmin.message_user(request, " ".join(exc.messages), messages.WARNING)
        else:
            done += 1
    modeladmin.message_user(request, ngettext("%(n)s replay queued.", "%(n)s replays queued.", done) % {"n": done},
                            messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ManagersOnly, admin.ModelAdmin):
    list_display = ["at", "webhook", "event", "delivery_id", "attempt", "status_code", "duration_ms", "error"]
    list_filter = ["event", "status_code"]
    list_select_related = ["webhook"]
    search_fields = ["delivery_id", "replay_of"]
    actions = [replay]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
