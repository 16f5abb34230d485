"""Managers' pages for e-mail intake (mailboxes, the received-mail log) and the original-message download."""
import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.permissions import perm_required
from servicedesk.queue import enqueue_on_commit
from tickets.selectors import slice_page

from . import selectors
from .forms import MailboxForm
from .models import InboundEmail, Mailbox

PERM = "mailin.manage_mailboxes"


@perm_required(PERM)
def mailbox_list(request):
    raw = request.GET.get("mailbox") or ""
    # ASCII digits of a sane length only: str.isdigit() accepts "１２" and 22-digit ids overflow the column.
    mailbox_id = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else None
    page = slice_page(selectors.inbound_emails(mailbox_id=mailbox_id), request.GET.get("page"), per_page=50)
    return render(request, "mailin/mailbox_list.html", {
        "mailboxes": selectors.mailboxes_for_page(), "page": page, "mailbox_id": mailbox_id,
        "query_string": f"mailbox={mailbox_id}" if mailbox_id else ""})


@perm_required(PERM)
def mailbox_edit(request, pk=None):
    mailbox = get_object_or_404(Mailbox, pk=pk) if pk else None
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved. The mailbox is polled every minute while it is enabled."))
        return redirect("mailin:mailboxes")
    status = 400 if request.method == "POST" else 200
    return render(request, "mailin/mailbox_edit.html", {"form": form, "mailbox": mailbox}, status=status)


@perm_required(PERM)
@require_POST
def mailbox_poll_now(request, pk):
    from .tasks import mailbox_poll_task

    mailbox = get_object_or_404(Mailbox, pk=pk)
    if not mailbox.enabled:
        messages.error(request, _("This mailbox is disabled: enable it first."))
    else:
        enqueue_on_commit(mailbox_poll_task, mailbox.pk)
        messages.success(request, _("Poll of %(name)s queued for the worker. Its result shows here once it has run.")
                         % {"name": mailbox.name})
    return redirect("mailin:mailboxes")


@perm_required("tickets.view_ticket")
def eml_download(request, pk):
    """The original message (.eml): served only through this check, never through MEDIA_URL."""
    inbound = get_object_or_404(InboundEmail, pk=pk)
    if not selectors.eml_allowed(request.user, inbound):
        raise PermissionDenied
    if not inbound.eml:
        raise Http404
    try:
        handle = inbound.eml.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=f"message-{inbound.pk}.eml",
                            content_type="message/rfc822")
    response["X-Content-Type-Options"] = "nosniff"
    return response
