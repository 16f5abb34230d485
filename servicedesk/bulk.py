"""insert_many: bulk_create for the sweeps' hot paths, with the per-value work done once per column.

Django's bulk_create compiles every value of every row through the field machinery (pre_save,
get_db_prep_save, a placeholder per value): about 7 µs a value, which at 9,000 breaches × ~35
values (the bell entry, its e-mail in the outbox, the timeline event) was a fifth of the
escalation job (issue 14). Here each column's adapter is chosen once and applied in a list
comprehension; the SQL is one multi-row INSERT … RETURNING id per chunk, as bulk_create's own.

Same contract as bulk_create for what it supports: objects built with Model(...) (so field
defaults are applied), auto_now / auto_now_add stamped, primary keys set on the objects from
RETURNING, no signals. Models with fields it does not know fall back to the field's own
get_db_prep_save, so nothing is written differently — a test compares it with bulk_create.
"""
from collections.abc import Sequence

from django.db import connection, models, transaction
from django.utils import timezone


def _adapter(field):
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        # A batch stamps most rows with the same moment: adapt each distinct value once.
        seen = {}

        def adapt(value, f=field):
            got = seen.get(value)
            if got is None:
                if getattr(value, "tzinfo", None) is None:
                    return f.get_db_prep_save(value, connection)  # naive or a date: the field's own rules
                got = seen[value] = ops.adapt_datetimefield_value(value)
            return got

        return adapt
    if isinstance(field, (models.CharField, models.TextField)):
        # plain str as is; anything else (a lazy translation, a choices member) the field's way
        return lambda value, f=field: value if type(value) is str else f.get_db_prep_save(value, connection)
    if isinstance(field, (models.IntegerField, models.BooleanField)):
        return lambda value, f=field: value if type(value) in (int, bool) else f.get_db_prep_save(value, connection)
    if isinstance(field, models.ForeignKey) and isinstance(field.target_field, (models.AutoField, models.BigAutoField)):
        return None  # an id
    return lambda value, f=field: f.get_db_prep_save(value, connection)


def insert_many(objs: Sequence[models.Model]) -> list[models.Model]:
    """INSERT the (unsaved) objects of one model, set their primary keys, return them."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:  # as pre_save(add=True) does: the moment of the insert, whatever was set
                setattr(obj, f.attname, now)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    adapters = [(f.attname, _adapter(f)) for f in fields]
    returning = connection.features.can_return_rows_from_bulk_insert
    pk = meta.pk
    size = max(1, connection.ops.bulk_batch_size(fields, objs))
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            for start in range(0, len(objs), size):
                chunk = objs[start:start + size]
                params = []
                for obj in chunk:
                    for attname, adapt in adapters:
                        value = getattr(obj, attname)
                        params.append(value if adapt is None or value is None else adapt(value))
                row = "(" + ", ".join(["%s"] * len(fields)) + ")"
                sql = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES " + ", ".join([row] * len(chunk))
                if returning:
                    sql += f" RETURNING {connection.ops.quote_name(pk.column)}"
                cursor.execute(sql, params)
                if returning:
                    for obj, (value,) in zip(chunk, cursor.fetchall()):
                        setattr(obj, pk.attname, value)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
