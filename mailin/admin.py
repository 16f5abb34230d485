from django.contrib import admin

from .forms import MailboxForm
from .models import InboundEmail, Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "host", "username", "folder", "enabled", "last_poll_at", "last_result", "last_error")
    readonly_fields = ("last_poll_at", "last_result", "last_error", "last_counts")


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sender", "subject", "outcome", "ticket", "mailbox")
    list_filter = ("outcome", "mailbox")
    search_fields = ("sender", "subject", "message_id")
    raw_id_fields = ("ticket", "customer")
    readonly_fields = ("mailbox", "message_id", "outcome", "sender", "subject", "received_at", "ticket", "customer",
                       "notes", "size", "eml")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
