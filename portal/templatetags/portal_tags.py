from django import template

from portal import selectors

register = template.Library()


@register.inclusion_tag("portal/_ticket_link_panel.html", takes_context=True)
def status_link_panel(context, ticket):
    """The ticket page's status-link panel, in the first paint: one read of the link."""
    return selectors.staff_link_panel(ticket, context["user"])
