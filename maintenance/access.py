"""Who may see and write maintenance plans (rules that need the customer row)."""
VIEW = "maintenance.view_maintenanceplan"
WRITE = "maintenance.change_maintenanceplan"


def is_account_manager(user, customer) -> bool:
    return user.is_authenticated and user.is_active and customer.account_manager_id == user.pk


def can_view_customer_plans(user, customer) -> bool:
    """Agents, supervisors, managers; and the customer's account manager (their bell links here)."""
    return user.has_perm(VIEW) or is_account_manager(user, customer)


def can_view_plan(user, plan) -> bool:
    return can_view_customer_plans(user, plan.customer)


def can_write_plan(user, customer) -> bool:
    """Supervisors and managers for every customer; an account manager for their own accounts."""
    return user.has_perm(WRITE) or is_account_manager(user, customer)


def can_create_plans(user) -> bool:
    return user.has_perm(WRITE) or (user.is_authenticated and user.managed_accounts.exists())
