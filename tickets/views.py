from django.shortcuts import render

from servicedesk.permissions import perm_required


@perm_required("tickets.add_ticket")
def ticket_create(request):
    return render(request, "tickets/create.html")
