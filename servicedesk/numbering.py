"""Gap-free sequential numbers (SR-2026-000123, WO-2026-000001) from a counter row per sequence."""
from django.db import IntegrityError, connection, transaction


def next_in_sequence(counter_model, **key) -> int:
    """Lock the counter row for `key` (creating it on first use) and return its next value.

    Must run inside the caller's transaction: the row stays locked until it commits, so two
    concurrent callers get consecutive values and a rolled-back caller leaves no gap. The model
    needs a `last` integer field and a unique constraint over the key fields.
    """
    # One statement in the usual case: the UPDATE takes the row lock and RETURNING gives the value
    # (PostgreSQL; SQLite ≥ 3.35). A key's first use falls through to create the row.
    qn, meta = connection.ops.quote_name, counter_model._meta
    names = sorted(key)
    where = " AND ".join(f"{qn(meta.get_field(k).column)} = %s" for k in names)
    last = qn(meta.get_field("last").column)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(meta.db_table)} SET {last} = {last} + 1 WHERE {where} RETURNING {last}",
                       [key[k] for k in names])
        row = cursor.fetchone()
    if row is not None:
        return row[0]
    counter = counter_model.objects.select_for_update().filter(**key).first()
    if counter is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent first use of the key may win
                counter_model.objects.create(last=0, **key)
        except IntegrityError:
            pass
        counter = counter_model.objects.select_for_update().get(**key)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last
