"""Demo contracts: the agent is account manager of a few customers, with contracts and warranties ending
soon, a care date this week, and the reminder sweep run once so "My renewals" has tasks. Idempotent."""
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Asset, Customer

from . import services
from .models import ContractLevel, ServiceContract


def load(*, stdout=None, options=None, now=None):
    User = get_user_model()
    now = now or timezone.now()
    today = timezone.localdate(now)
    agent = User.objects.filter(username="agent").first()
    supervisor = User.objects.filter(username="supervisor").first()
    if agent is None or supervisor is None or ServiceContract.objects.exists():
        return
    customers = list(Customer.objects.filter(merged_into__isnull=True).order_by("pk")[:4])
    levels = list(ContractLevel.objects.order_by("order"))
    if not customers or not levels:
        return
    for i, customer in enumerate(customers):
        # The demo data sets the account manager and care date directly (the customer form is another area's).
        Customer.objects.filter(pk=customer.pk).update(
            account_manager=agent if i < 3 else None,
            care_date=(today + timedelta(days=i * 2)).replace(year=1990), care_greetings=i % 2 == 0)
        customer.refresh_from_db()
        assets = list(Asset.objects.filter(customer=customer)[:2])
        for asset in assets[:1]:
            Asset.objects.filter(pk=asset.pk).update(warranty_end=today + timedelta(days=20 + i * 15))
        services.contract_save(by=supervisor, customer=customer, level=levels[i % len(levels)],
                               start_date=today - timedelta(days=300), end_date=today + timedelta(days=10 + i * 25),
                               price=Decimal("1200.00") * (i + 1), notes="", assets=assets)
    services.reminders_sweep(now=now)
    if stdout:
        stdout.write("contracts: demo contracts and renewal reminders")
