"""Queries whose SQL never changes, compiled by the ORM once per process and database.

Building a queryset with EXISTS subqueries, unions, annotations or a dozen select_related joins costs the
ORM 0.3–1 ms of Python on every call (resolve, compile); the database then answers in a fraction of that.
For a query whose shape never changes — the ticket page's ticket with its related rows, a person's
permissions — the SQL and its parameters are kept after the first call and executed as they are.

The per-call values (ids, or text compared as it is: a session key) are passed to the builder as stand-ins
(SENTINELS, TEXT_SENTINELS) on the first call; at each call the stand-ins in the kept parameters are replaced
by the values. A builder must therefore
depend on nothing but its arguments (no clock, no setting read per call): with VERIFY on (the test
suite turns it on) every call also compiles the builder's queryset for the real values and fails loudly
if the kept SQL or parameters differ.

- compiled_rows: a values_list's raw rows (no field converters) — ids, text, booleans read for their truth.
- compiled_objects: model instances as list(queryset) gives them (converters, select_related,
  annotations, prefetch_related).
"""
import copy
from collections.abc import Callable

from django.db import connections, router

SENTINEL = -739_011_347  # stands for the per-call value in SQL compiled once (no row has a negative id)
SENTINELS = tuple(SENTINEL - i for i in range(64))
TEXT_SENTINELS = tuple(f"\x00compiled-stand-in-{i}" for i in range(64))  # the same, for a text value
VERIFY = False  # tests/conftest.py: every call also checks the kept SQL against a fresh compile

_compiled: dict[tuple[str, str], tuple[str, tuple]] = {}
_objects: dict[tuple[str, str | None], tuple] = {}
_models: dict[str, type] = {}


def _stand_ins(values: tuple) -> tuple:
    return tuple(TEXT_SENTINELS[i] if type(v) is str else SENTINELS[i] for i, v in enumerate(values))


def _params(kept: tuple, values: tuple) -> tuple:
    """The kept parameters with each stand-in replaced by its value."""
    if not values:
        return kept
    swap = dict(zip(_stand_ins(values), values))
    return tuple(swap.get(p, p) if type(p) in (int, str) else p for p in kept)


def _check(key: str, compiler, sql: str, params: tuple):
    fresh_sql, fresh_params = compiler.as_sql()
    if (fresh_sql, tuple(fresh_params)) != (sql, params):
        raise AssertionError(f"compiled query {key!r}: its SQL or parameters changed with the call's values "
                             f"(a builder must depend on its arguments only)\nkept:  {sql} {params}\n"
                             f"fresh: {fresh_sql} {tuple(fresh_params)}")


def compiled_rows(key: str, model, build: Callable, value=None) -> list[tuple]:
    """The rows of `build(SENTINEL)` (a values_list queryset of `model`), its SQL compiled on the first call in
    this process for the database `model` reads from; `value` goes where SENTINEL stood. `key` names the
    query's shape: two shapes need two keys."""
    alias = router.db_for_read(model)
    entry = _compiled.get((key, alias))
    if entry is None:
        sql, params = build(*_stand_ins((value,))).query.get_compiler(using=alias).as_sql()
        entry = _compiled[(key, alias)] = (sql, tuple(params))
    sql, params = entry
    params = _params(params, (value,))
    if VERIFY and value is not None:
        _check(key, build(value).query.get_compiler(using=alias), sql, params)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def compiled_objects(key: str, build: Callable, *values: int | str) -> list:
    """list(build(*values)) — a queryset of model instances, evaluated as Django would — with its SQL
    compiled once per process and database. `values` (at most 64) are ids or text compared as they
    are (a key, a number); `key` names the shape, the number and types of the values included.

    The first call builds the queryset with stand-ins and compiles it; later calls iterate a clone of that
    queryset (its model, related-object layout and prefetches) with a copy of the kept compiler on this
    thread's connection, answering the kept SQL with this call's values: neither the build (~0.1–0.3 ms
    with joins and ordering) nor the compile is repeated.
    """
    if len(values) > len(SENTINELS):
        raise ValueError(f"compiled query {key!r}: {len(values)} values, at most {len(SENTINELS)}")
    if any(type(v) is int and not -2**63 <= v < 2**63 for v in values):
        return []  # no id is that large (the ORM's own lookups answer "no match" too, without asking)
    model = _models.get(key)
    alias = router.db_for_read(model) if model is not None else None
    entry = _objects.get((key, alias))
    if entry is None:
        stand_in = build(*_stand_ins(values))
        alias = stand_in.db
        _models[key] = stand_in.model
        compiler = stand_in.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        # The select list's converters (dates, JSON…), looked up once too (~0.1 ms a query). They are the
        # fields' and the backend's functions; each call hands them its own connection.
        converters = compiler.get_converters([s[0] for s in compiler.select[0:compiler.col_count]])
        entry = _objects[(key, alias)] = (stand_in, compiler, sql, tuple(params), converters)
    stand_in, kept, sql, params, converters = entry
    params = _params(params, values)
    if VERIFY:
        _check(key, build(*values).query.get_compiler(using=alias), sql, params)
    if not sql:  # the ORM found the query empty without asking the database
        return []
    frozen = copy.copy(kept)
    frozen.connection = connections[alias]  # this thread's connection, not the first caller's
    frozen.as_sql = lambda *args, **kwargs: (sql, params)
    frozen.get_converters = lambda expressions: converters
    qs = stand_in._chain()
    qs.query.get_compiler = lambda *args, **kwargs: frozen
    return list(qs)


def compiled_one(key: str, build: Callable, *values: int | str):
    """The first object compiled_objects gives (a row by its key), or None."""
    found = compiled_objects(key, build, *values)
    return found[0] if found else None
