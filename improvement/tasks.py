from celery import shared_task


@shared_task
def actions_carry_over_task():
    """Carry unfinished actions into the current month; a second run finds nothing to carry."""
    from .services import actions_carry_over

    return actions_carry_over()


@shared_task
def actions_overdue_notify_task():
    """Tell owners of newly overdue actions, once each."""
    from .services import actions_overdue_notify

    return actions_overdue_notify()
