"""Who else has a ticket open, and whether they are writing (issue 19 item 6: collision warning).

Kept in the shared cache, not the database: a presence lasts PRESENCE_SECONDS after the last heartbeat
(the ticket page sends one every 5 s), so a closed tab disappears by itself. Each ticket is one cache
entry, {user id: (name, state, until)}; two heartbeats racing may drop one, which the next restores.
Without a usable cache there is no warning — and nothing else breaks: optimistic concurrency on the
reply form stays the safety net (a reply sent on a stale page is refused and its text kept).
"""
import time

from django.core.cache import cache

PRESENCE_SECONDS = 15
STATES = ("viewing", "replying")


def _key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def presence_touch(*, ticket_id: int, user, state: str, now: float | None = None) -> list[dict]:
    """Record ``user`` on the ticket (``state`` viewing or replying; "leave" removes them) and return
    the others who are there now, writers first: [{"name", "state"}]."""
    now = time.time() if now is None else now
    try:
        entries = cache.get(_key(ticket_id)) or {}
        entries = {uid: e for uid, e in entries.items() if e[2] > now}
        me = str(user.pk)
        if state in STATES:
            entries[me] = (user.get_full_name() or user.get_username(), state, now + PRESENCE_SECONDS)
        else:
            entries.pop(me, None)
        cache.set(_key(ticket_id), entries, PRESENCE_SECONDS * 2)
    except Exception:  # noqa: BLE001 — presence is a courtesy; the cache being down must not break the page
        return []
    others = [{"name": name, "state": st} for uid, (name, st, _until) in entries.items() if uid != me]
    return sorted(others, key=lambda o: (o["state"] != "replying", o["name"]))
