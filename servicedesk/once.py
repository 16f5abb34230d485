"""Batch inserts guarded by a unique constraint ("once per person per day", "once per due moment")."""
from django.db import IntegrityError, transaction


def insert_new(model, rows: list) -> list:
    """Insert rows that a unique constraint allows once; return those inserted (the ones to act on).

    One bulk INSERT in a savepoint. If a parallel run inserted one of them after this run read what
    was there (SQLite has no row locks), one savepoint per row instead, so the constraint still decides
    which run acts on each row.
    """
    if not rows:
        return []
    try:
        with transaction.atomic():
            model.objects.bulk_create(rows)
        return rows
    except IntegrityError:
        pass
    inserted = []
    for row in rows:
        row.pk = None
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue  # another run got there first
        inserted.append(row)
    return inserted
