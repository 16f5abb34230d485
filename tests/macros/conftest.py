# The tickets tests' factory (tickets opened through the service), shared rather than copied.
from tests.tickets.conftest import ticket_factory  # noqa: F401
