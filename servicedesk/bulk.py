"""insert_many: bulk_create for the sweeps' hot paths, with the per-value work done once per column.

Django's bulk_create compiles every value of every row through the field machinery (pre_save,
get_db_prep_save, a placeholder per value): about 7 µs a value, which at 9,000 breaches × ~35
values (the bell entry, its e-mail in the outbox, the timeline event) was a fifth of the
escalation job (issue 14). Here each column's adapter is chosen once and applied in a list
comprehension; the SQL is one multi-row INSERT … RETURNING id per chunk, as bulk_create's own.

Same contract as bulk_create for what it supports: objects built with Model(...) (so field
defaults are applied), auto_now / auto_now_add stamped, primary keys set on the objects from
RETURNING, no signals. Models with fields it does not know fall back to the field's own
get_db_prep_save, so nothing is written differently — a test compares it with bulk_create. On
PostgreSQL the rows go as one array per column (unnest), as bulk_create's own do since Django 5.2.

build: Model(**values) for the rows those sweeps build by the thousand. Django's keyword constructor
walks every field and sets each through its descriptor (~10 µs a row; 27,000 rows at 9,000
breaches); here the defaults are worked out once per model and copied. Same result as the
constructor (a test compares the two): defaults (callable ones called per row), a related object
cached and its id set, a property (pk=) set through it, unknown names refused. Models it does not
cover — file fields, private fields, one-to-one fields, a foreign key to a non-primary key, init
signal listeners (as connected when the model is first built) — get the constructor itself.
"""
from collections.abc import Sequence

from django.db import connection, models, router, transaction
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

_PLANS: dict[type, tuple | None] = {}


def _plan(model):
    """(static defaults, {attname: callable default}, {name: (attname, related field or None)}), or
    None when `build` would not be the constructor's equal for this model."""
    if model in _PLANS:
        return _PLANS[model]
    meta = model._meta
    plan = None
    plain = (not meta.private_fields and not meta.abstract and not pre_init.has_listeners(model)
             and not post_init.has_listeners(model))
    if plain:
        static, dynamic, names = {}, {}, {}
        for f in meta.concrete_fields:
            if isinstance(f, models.FileField) or f.generated or (f.is_relation and not (
                    f.many_to_one and not f.one_to_one and f.target_field.primary_key)):
                plain = False
                break
            if f.has_default() and callable(f.default):
                dynamic[f.attname] = f.default
            else:
                static[f.attname] = f.get_default()
            names[f.attname] = (f.attname, None)
            if f.is_relation:
                names[f.name] = (f.attname, f)
        if plain:
            plan = (static, dynamic, names)
    _PLANS[model] = plan
    return plan


def build(model, **values):
    """An unsaved instance, as model(**values) makes it."""
    plan = _plan(model)
    if plan is None:
        return model(**values)
    static, dynamic, names = plan
    obj = model.__new__(model)
    state = obj._state = ModelState()
    d = obj.__dict__
    d.update(static)
    for attname, default in dynamic.items():
        if attname not in values:
            d[attname] = default()
    for name, value in values.items():
        try:
            attname, relation = names[name]
        except KeyError:
            if name in model._meta._property_names:  # as the constructor: pk=, or a property with a setter
                setattr(obj, name, value)
                continue
            raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {name!r}") from None
        if relation is None:
            d[attname] = value
            continue
        if value is not None and not isinstance(value, relation.remote_field.model._meta.concrete_model):
            raise ValueError(f'Cannot assign "{value!r}": "{model.__name__}.{relation.name}" must be a '
                             f'"{relation.remote_field.model._meta.object_name}" instance.')
        if value is not None:  # what the descriptor does (ForwardManyToOneDescriptor.__set__)
            if state.db is None:
                state.db = router.db_for_write(model, instance=value)
            if value._state.db is None:
                value._state.db = router.db_for_write(type(value), instance=obj)
            if not router.allow_relation(value, obj):
                raise ValueError(f'Cannot assign "{value!r}": the current database router prevents this relation.')
        d[attname] = None if value is None else value.pk
        state.fields_cache[relation.name] = value
    return obj


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
        # a str (a choices member included) as is, which is what the field's preparation returns for
        # one; anything else (a lazy translation) the field's way
        return lambda value, f=field: value if isinstance(value, str) else f.get_db_prep_save(value, connection)
    if isinstance(field, (models.IntegerField, models.BooleanField)):
        return lambda value, f=field: value if type(value) in (int, bool) else f.get_db_prep_save(value, connection)
    if isinstance(field, models.ForeignKey) and isinstance(field.target_field, (models.AutoField, models.BigAutoField)):
        return None  # an id
    # Anything else (a JSON field's before/after) the field's way, once per distinct plain value: a
    # batch of priority events holds a handful of small numbers 2,000 times each.
    seen = {}

    def prepare(value, f=field):
        if type(value) not in (int, str, bool):
            return f.get_db_prep_save(value, connection)
        key = (type(value), value)
        got = seen.get(key, seen)
        if got is seen:
            got = seen[key] = f.get_db_prep_save(value, connection)
        return got

    return prepare


def _unnest_types(fields) -> list[str] | None:
    """PostgreSQL: each column's array type for INSERT … SELECT * FROM unnest(…), or None where a column is not
    of a plain type (Django's bulk_create makes the same choice, postgresql.compiler.SQLInsertCompiler). The
    length is left out (varchar[], not varchar(300)[]): a cast to varchar(n) would cut a longer value instead
    of refusing it."""
    if connection.vendor != "postgresql":
        return None
    types = []
    for f in fields:
        if hasattr(f, "get_placeholder") or (f.target_field if f.is_relation else f).get_internal_type() \
                not in connection.data_types:
            return None
        types.append(f.db_type(connection).split("(")[0])
    return types


UNNEST_CHUNK = 5000


def insert_many(objs: Sequence[models.Model]) -> list[models.Model]:
    """INSERT the (unsaved) objects of one model, set their primary keys, return them.

    On PostgreSQL the rows go as one array per column (INSERT … SELECT * FROM unnest(…)): a statement of
    a few parameters instead of one per value. A VALUES list of 1,000 bell entries took ~30 ms to send,
    parse and plan for ~7 ms of inserting (issue 14); with arrays the batch costs about half."""
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
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    adapters = [(f.attname, _adapter(f)) for f in fields]
    returning = connection.features.can_return_rows_from_bulk_insert
    pk = meta.pk
    types = _unnest_types(fields)
    if types is not None:
        size = UNNEST_CHUNK
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        statement = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"
    else:
        size = max(1, connection.ops.bulk_batch_size(fields, objs))
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            for start in range(0, len(objs), size):
                chunk = objs[start:start + size]
                if types is not None:
                    sql, params = statement, []
                    for attname, adapt in adapters:
                        column = [getattr(obj, attname) for obj in chunk]
                        if adapt is not None:
                            column = [value if value is None else adapt(value) for value in column]
                        params.append(column)
                else:
                    params = []
                    for obj in chunk:
                        for attname, adapt in adapters:
                            value = getattr(obj, attname)
                            params.append(value if adapt is None or value is None else adapt(value))
                    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
                    sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row] * len(chunk))
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
