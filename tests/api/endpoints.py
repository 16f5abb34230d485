"""Every API endpoint once: (name, method, path builder, the scope it needs, a valid body builder).

Shared by the scope, contract and fuzz tests so that a new endpoint is tested by all three once it is
listed here (test_every_endpoint_is_listed fails otherwise)."""
from dataclasses import dataclass
from typing import Callable


@dataclass
class Endpoint:
    name: str
    method: str
    scope: str
    path: Callable  # (world) -> str
    body: Callable = lambda world: {}  # noqa: E731  (world) -> dict, for POST


class World:
    """The rows the endpoints need, made once per test through the services."""

    def __init__(self, customer_factory, ticket_factory, personas):
        self.customer = customer_factory(name="王芳", phone="13812345678")
        self.ticket = ticket_factory(customer=self.customer)
        self.personas = personas
        self._workorder = None

    @property
    def workorder_id(self) -> int:
        from tests.api.factories import make_workorder

        if self._workorder is None:
            self._workorder = make_workorder(ticket=self.ticket, created_by=self.personas.agent)
        return self._workorder.pk


ENDPOINTS = [
    Endpoint("customers_lookup", "get", "customers:read", lambda w: "/api/v1/customers/?phone=138%201234%205678"),
    Endpoint("customers_list", "get", "customers:read", lambda w: "/api/v1/customers/"),
    Endpoint("customers_create", "post", "customers:write", lambda w: "/api/v1/customers/",
             lambda w: {"name": "李雷", "phones": [{"number": "+86 139 0000 1111"}]}),
    Endpoint("customers_retrieve", "get", "customers:read", lambda w: f"/api/v1/customers/{w.customer.pk}/"),
    Endpoint("contacts_create", "post", "contacts:write", lambda w: "/api/v1/contacts/",
             lambda w: {"customer": w.customer.pk, "notes": "Asked about the invoice"}),
    Endpoint("tickets_list", "get", "tickets:read", lambda w: "/api/v1/tickets/"),
    Endpoint("tickets_create", "post", "tickets:write", lambda w: "/api/v1/tickets/",
             lambda w: {"customer": w.customer.pk, "kind": "repair", "subject": "Washer leaks"}),
    Endpoint("tickets_retrieve", "get", "tickets:read", lambda w: f"/api/v1/tickets/{w.ticket.pk}/"),
    Endpoint("tickets_reply", "post", "tickets:write", lambda w: f"/api/v1/tickets/{w.ticket.pk}/replies/",
             lambda w: {"body": "A technician calls you today."}),
    Endpoint("tickets_status", "post", "tickets:write", lambda w: f"/api/v1/tickets/{w.ticket.pk}/status/",
             lambda w: {"status": "acknowledged"}),
    Endpoint("workorders_list", "get", "workorders:read", lambda w: f"/api/v1/workorders/?ticket={w.ticket.pk}"),
    Endpoint("workorders_retrieve", "get", "workorders:read", lambda w: f"/api/v1/workorders/{w.workorder_id}/"),
    Endpoint("calls_ringing", "post", "calls:write", lambda w: "/api/v1/calls/ringing/",
             lambda w: {"call_id": "c-1", "from": "13812345678", "extension": "8001"}),
    Endpoint("calls_ended", "post", "calls:write", lambda w: "/api/v1/calls/ended/",
             lambda w: {"call_id": "c-1", "duration_seconds": 65}),
]
