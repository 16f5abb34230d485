"""Small configuration tables kept per thread across requests, re-read when anyone changes them.

Customer tiers, the SLA policies with their targets: read on almost every request or every new ticket,
changed a few times a year by a manager. A ``SharedMemo`` keeps its table per thread while a version
token in the shared cache (Redis in production, the file cache in development) is the one it was read
under. Saving or deleting a row anywhere sets a new token — at once and again at commit, so a process
reading between the two sees the old rows under the first token, then re-reads under the second. Each
request and each Celery task start compares the token (one cache read, no query). Without a usable
cache the token is unknown and each request reads the table afresh; commands, which run neither,
re-read it after ``seconds``. The cache is a speed-up here, never a dependency and never a source of stale rows.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any


class SharedMemo:
    def __init__(self, key: str, load: Callable[[], Any], *, seconds: float = 30):
        self.key = key  # the version token's cache key
        self.load = load
        self.seconds = seconds
        self._local = threading.local()

    def _version(self) -> str | None:
        """The shared token, set now if the cache has none; None when the cache fails."""
        from django.core.cache import cache

        try:
            version = cache.get(self.key)
            if version is None:
                cache.add(self.key, uuid.uuid4().hex, None)
                version = cache.get(self.key)
            return version
        except Exception:  # noqa: BLE001 — a cache outage costs a query per request, never a stale row
            return None

    def forget(self, **_kwargs) -> None:
        """Drop this thread's copy (tests; a change)."""
        self._local.value = None

    def check(self, **_kwargs) -> None:
        """Request start: keep this thread's copy only while the shared token is the one it was read under."""
        if getattr(self._local, "value", None) is None:
            return
        version = self._version()
        if version is None or version != getattr(self._local, "version", None):
            self._local.value = None

    def changed(self, **_kwargs) -> None:
        """A row was saved or deleted: a new token for every process, now and once the transaction commits."""
        from django.core.cache import cache
        from django.db import transaction

        def bump():
            try:
                cache.set(self.key, uuid.uuid4().hex, None)
            except Exception:  # noqa: BLE001 — without the cache nobody keeps a copy across requests
                pass

        self._local.value = None
        bump()
        transaction.on_commit(bump)

    def get(self):
        value = getattr(self._local, "value", None)
        if value is not None:
            if time.monotonic() - self._local.at < self.seconds:
                return value
            # Older than `seconds`: still good while the shared token is the one it was read under (one cache
            # read, no query). Re-reading on age alone made a page cost one query more every `seconds`.
            version = self._version()
            if version is not None and version == getattr(self._local, "version", None):
                self._local.at = time.monotonic()
                return value
        version = self._version()  # read before the rows: a change in between leaves a stale token, not stale rows
        value = self.load()
        self._local.value, self._local.at, self._local.version = value, time.monotonic(), version
        return value

    def connect(self, *models, uid: str) -> None:
        """Check the token at each request and each Celery task start; renew it when a row of `models` is
        saved or deleted."""
        from celery.signals import task_prerun
        from django.core.signals import request_started
        from django.db.models.signals import post_delete, post_save

        request_started.connect(self.check, dispatch_uid=f"{uid}.check", weak=False)
        task_prerun.connect(self.check, dispatch_uid=f"{uid}.task", weak=False)
        for model in models:
            post_save.connect(self.changed, sender=model, dispatch_uid=f"{uid}.save.{model.__name__}", weak=False)
            post_delete.connect(self.changed, sender=model, dispatch_uid=f"{uid}.delete.{model.__name__}", weak=False)


def changes_queryset(memo_getter: Callable[[], SharedMemo]):
    """A QuerySet class whose bulk writes (update, delete, bulk_create, bulk_update) renew the memo's token
    too, as saves and deletes do through signals: no write path through the ORM leaves a stale copy."""
    from django.db import models

    class ChangesQuerySet(models.QuerySet):
        def update(self, **kwargs):
            rows = super().update(**kwargs)
            memo_getter().changed()
            return rows

        def delete(self):
            result = super().delete()
            memo_getter().changed()
            return result

        def bulk_create(self, *args, **kwargs):
            objs = super().bulk_create(*args, **kwargs)
            memo_getter().changed()
            return objs

        def bulk_update(self, *args, **kwargs):
            rows = super().bulk_update(*args, **kwargs)
            memo_getter().changed()
            return rows

    return ChangesQuerySet
