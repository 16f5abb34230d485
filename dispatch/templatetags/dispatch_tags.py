from django import template

register = template.Library()


@register.simple_tag
def ticket_work_orders(ticket) -> list:
    """The ticket's work orders for its page (one query whatever their number): dispatch.selectors."""
    from dispatch import selectors

    return selectors.ticket_workorder_list(ticket=ticket)
