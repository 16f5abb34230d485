"""Test helper: change a customer tier the way a manager does in the admin."""

def tier_save(code, **fields):
    """Change a tier as the admin does (save(): every process re-reads the table at its next request)."""
    from customers.models import CustomerTier

    tier = CustomerTier.objects.get(code=code)
    for name, value in fields.items():
        setattr(tier, name, value)
    tier.save()
