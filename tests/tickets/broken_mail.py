from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    """Mimics an SMTP outage."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP down")
