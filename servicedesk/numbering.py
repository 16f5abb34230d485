"""Gap-free sequential numbers (SR-2026-000123, WO-2026-000001) from a counter row per sequence."""
from django.db import IntegrityError, transaction


def next_in_sequence(counter_model, **key) -> int:
    """Lock the counter row for `key` (creating it on first use) and return its next value.

    Must run inside the caller's transaction: the row stays locked until it commits, so two
    concurrent callers get consecutive values and a rolled-back caller leaves no gap. The model
    needs a `last` integer field and a unique constraint over the key fields.
    """
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
