from django.shortcuts import render

from servicedesk.permissions import perm_required


@perm_required("customers.view_customer")
def desk(request):
    return render(request, "customers/desk.html")
