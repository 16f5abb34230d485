"""The triggers that keep TicketFlowDelta (see its docstring), for SQLite and PostgreSQL, and the backfill.

On PostgreSQL each statement appends (SQLite adds to the row of the same key instead, see _upsert), summed per key
over the rows it wrote: +1 for a new ticket's contributions; for a changed one (created, resolved or closed
moment, team, kind or priority, cancelled or not), −1 for the old contributions and +1 for the new; −1 for a deleted
one.

The backlog columns (tickets 0030): a ticket that is not cancelled enters the backlog at the hour of created_at
(backlog_in) and leaves it at the hour of its first resolution or closing, or of its opening if that is later
(backlog_out) — so the tickets open at a whole hour H are those entered before H and not left before H, the
definition of tickets.selectors.backlog_at. Migrations before 0030 wrote the rollup without them (backlog=False). A delete appends nothing while the rollup is empty, so Django's test flush (which empties the tables one
by one, the rollup possibly first) leaves it empty rather than negative.
"""

TICKETS = "tickets_ticket"
FLOW = "tickets_ticketflowdelta"
COLUMNS = "hour, team_key, kind, priority, opened, resolved, closed"
BACKLOG_COLUMNS = f"{COLUMNS}, backlog_in, backlog_out"
COUNTS = ("opened", "resolved", "closed")
BACKLOG_COUNTS = (*COUNTS, "backlog_in", "backlog_out")
CANCELLED = "cancelled"  # Ticket.Status.CANCELLED: never in the backlog
HOUR = {
    # Django stores an aware datetime on SQLite as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
    "sqlite": "substr({col}, 1, 13)",
    "postgresql": "to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')",
}


def _left_hour(vendor: str, row: str = "") -> str:
    """The hour a ticket leaves the backlog: of the earlier of resolved_at and closed_at (whichever is set), or of
    created_at if that is later. Hours compare as their moments do ('YYYY-MM-DD HH'), and the hour of the earlier
    (later) moment is the earlier (later) hour; CASE, since SQLite's two-argument min() is NULL when one is."""
    hour = HOUR[vendor]
    pre = f"{row}." if row else ""
    created, res, closed = (hour.format(col=f"{pre}{c}") for c in ("created_at", "resolved_at", "closed_at"))
    left = (f"(CASE WHEN {pre}resolved_at IS NULL THEN {closed} WHEN {pre}closed_at IS NULL THEN {res} "
            f"WHEN {res} <= {closed} THEN {res} ELSE {closed} END)")
    return f"(CASE WHEN {left} > {created} THEN {left} ELSE {created} END)"


def _rows(vendor: str, row: str, sign: int, backlog: bool = True) -> str:
    """SELECTs (UNION ALL) of the contributions of OLD or NEW with this sign."""
    hour = HOUR[vendor]
    dims = f"coalesce({row}.team_id, 0), {row}.kind, {row}.priority"
    if not backlog:
        return (
            f"SELECT {hour.format(col=f'{row}.created_at')}, {dims}, {sign}, 0, 0"
            f" UNION ALL SELECT {hour.format(col=f'{row}.resolved_at')}, {dims}, 0, {sign}, 0"
            f" WHERE {row}.resolved_at IS NOT NULL"
            f" UNION ALL SELECT {hour.format(col=f'{row}.closed_at')}, {dims}, 0, 0, {sign}"
            f" WHERE {row}.closed_at IS NOT NULL"
        )
    counted = f"{row}.status <> '{CANCELLED}'"
    return (
        f"SELECT {hour.format(col=f'{row}.created_at')}, {dims}, {sign}, 0, 0,"
        f" CASE WHEN {counted} THEN {sign} ELSE 0 END, 0"
        f" UNION ALL SELECT {hour.format(col=f'{row}.resolved_at')}, {dims}, 0, {sign}, 0, 0, 0"
        f" WHERE {row}.resolved_at IS NOT NULL"
        f" UNION ALL SELECT {hour.format(col=f'{row}.closed_at')}, {dims}, 0, 0, {sign}, 0, 0"
        f" WHERE {row}.closed_at IS NOT NULL"
        f" UNION ALL SELECT {_left_hour(vendor, row)}, {dims}, 0, 0, 0, 0, {sign}"
        f" WHERE {counted} AND ({row}.resolved_at IS NOT NULL OR {row}.closed_at IS NOT NULL)"
    )


def _changed(vendor: str, old: str = "OLD", new: str = "NEW", backlog: bool = True) -> str:
    """True when a counted column differs between the rows `old` and `new` (a row trigger's OLD/NEW, or the
    aliases of a statement trigger's transition tables)."""
    hour = HOUR[vendor]
    buckets = " OR ".join(f"{hour.format(col=f'{old}.{c}')} IS DISTINCT FROM {hour.format(col=f'{new}.{c}')}"
                          for c in ("created_at", "resolved_at", "closed_at"))
    dims = " OR ".join(f"{old}.{c} IS DISTINCT FROM {new}.{c}" for c in ("team_id", "kind", "priority"))
    cond = f"{buckets} OR {dims}"
    if backlog:
        cond += f" OR ({old}.status = '{CANCELLED}') IS DISTINCT FROM ({new}.status = '{CANCELLED}')"
    return cond.replace("IS DISTINCT FROM", "IS NOT") if vendor == "sqlite" else cond


# SQLite only: one row per hour, team, kind and priority, kept by upserts (below).
KEY_INDEX = "tickets_flow_key"


def _upsert(rows: str, backlog: bool = True) -> str:
    """SQLite: add the rows' counts to the row of their key. SQLite has one writer at a time, so the rollup
    can be kept folded as it is written (no contention to avoid by appending, as on PostgreSQL): a mass
    update of old tickets leaves it no bigger, and the report sums a third of the rows (the side-by-side
    data after its time shift: 288,488 → 115,869 rows, the monthly report 136 → 103 ms).
    (`WHERE true`: SQLite's parser needs a WHERE before an upsert's ON CONFLICT after a SELECT.)"""
    sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in (BACKLOG_COUNTS if backlog else COUNTS))
    return (f"INSERT INTO {FLOW} ({BACKLOG_COLUMNS if backlog else COLUMNS}) SELECT * FROM ({rows}) WHERE true "
            f"ON CONFLICT (hour, team_key, kind, priority) DO UPDATE SET {sets}")


def create_sql(vendor: str, backlog: bool = True) -> list[str]:
    """backlog=False: the triggers as migrations 0023–0029 made them (the table had no backlog columns yet)."""
    insert = f"INSERT INTO {FLOW} ({BACKLOG_COLUMNS if backlog else COLUMNS}) "
    counts = BACKLOG_COUNTS if backlog else COUNTS
    if vendor == "sqlite":
        def rows(row, sign):
            return _rows(vendor, row, sign, backlog)

        return [
            f"CREATE UNIQUE INDEX IF NOT EXISTS {KEY_INDEX} ON {FLOW} (hour, team_key, kind, priority)",
            f"CREATE TRIGGER tickets_flow_insert AFTER INSERT ON {TICKETS} BEGIN "
            f"{_upsert(rows('NEW', 1), backlog)}; END",
            f"CREATE TRIGGER tickets_flow_update AFTER UPDATE OF created_at, resolved_at, closed_at, team_id, kind, "
            f"priority{', status' if backlog else ''} ON {TICKETS} WHEN {_changed(vendor, backlog=backlog)} BEGIN "
            f"{_upsert(rows('OLD', -1) + ' UNION ALL ' + rows('NEW', 1), backlog)}; END",
            f"CREATE TRIGGER tickets_flow_delete AFTER DELETE ON {TICKETS} "
            f"WHEN EXISTS (SELECT 1 FROM {FLOW}) BEGIN {_upsert(rows('OLD', -1), backlog)}; END",
        ]
    if vendor == "postgresql":
        # Statement-level triggers over transition tables: one INSERT … SELECT per statement, the rows of the
        # changed tickets summed per key, instead of a call per row. An UPDATE of 1,000 tickets (the SLA
        # sweep's priority raise) spent ~50 ms in the row trigger, ~12 ms in this one; a single-row UPDATE
        # that changes nothing counted costs ~0.07 ms (a statement trigger cannot name columns or a WHEN).
        def sums(rows: str) -> str:
            return (f"{insert}SELECT c.hour, c.team_key, c.kind, c.priority, "
                    f"{', '.join(f'SUM(c.{c})' for c in counts)} FROM {rows} GROUP BY 1, 2, 3, 4 "
                    f"HAVING {' OR '.join(f'SUM(c.{c}) <> 0' for c in counts)}")

        def lateral(*parts: tuple[str, int]) -> str:
            selects = " UNION ALL ".join(_rows(vendor, row, sign, backlog) for row, sign in parts)
            return f"CROSS JOIN LATERAL ({selects}) AS c(hour, team_key, kind, priority, {', '.join(counts)})"

        def function(name: str, body: str) -> str:
            return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"{body}; RETURN NULL; END $$")

        changed = _changed(vendor, old="o", new="n", backlog=backlog)
        deleted = sums(f"flow_old AS o {lateral(('o', -1))}")
        return [
            function("tickets_flow_on_insert", sums(f"flow_new AS n {lateral(('n', 1))}")),
            function("tickets_flow_on_update", sums(
                f"flow_old AS o JOIN flow_new AS n ON n.id = o.id {lateral(('o', -1), ('n', 1))} WHERE {changed}")),
            function("tickets_flow_on_delete", f"IF EXISTS (SELECT 1 FROM {FLOW}) THEN {deleted}; END IF"),
            f"CREATE TRIGGER tickets_flow_insert AFTER INSERT ON {TICKETS} REFERENCING NEW TABLE AS flow_new "
            f"FOR EACH STATEMENT EXECUTE FUNCTION tickets_flow_on_insert()",
            f"CREATE TRIGGER tickets_flow_update AFTER UPDATE ON {TICKETS} REFERENCING OLD TABLE AS flow_old "
            f"NEW TABLE AS flow_new FOR EACH STATEMENT EXECUTE FUNCTION tickets_flow_on_update()",
            f"CREATE TRIGGER tickets_flow_delete AFTER DELETE ON {TICKETS} REFERENCING OLD TABLE AS flow_old "
            f"FOR EACH STATEMENT EXECUTE FUNCTION tickets_flow_on_delete()",
        ]
    raise NotImplementedError(f"the ticket flow rollup has no triggers for {vendor}")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [*(f"DROP TRIGGER IF EXISTS tickets_flow_{op}" for op in ("insert", "update", "delete")),
                f"DROP INDEX IF EXISTS {KEY_INDEX}"]
    return [*(f"DROP TRIGGER IF EXISTS tickets_flow_{op} ON {TICKETS}" for op in ("insert", "update", "delete")),
            *(f"DROP FUNCTION IF EXISTS {name}()" for name in (
                "tickets_flow_track",  # the row-level function of migrations 0023–0026
                "tickets_flow_on_insert", "tickets_flow_on_update", "tickets_flow_on_delete"))]


def backfill_sql(vendor: str, backlog: bool = True) -> list[str]:
    """Empty the rollup and count every ticket into it (one row per hour, team, kind and priority)."""
    hour = HOUR[vendor]
    dims = "coalesce(team_id, 0), kind, priority"
    more = ", 0, 0" if backlog else ""
    counted = f"status <> '{CANCELLED}'"
    parts = [
        f"SELECT {hour.format(col='created_at')} AS hour, coalesce(team_id, 0) AS team_key, kind, priority, "
        f"COUNT(*) AS opened, 0 AS resolved, 0 AS closed"
        + (f", COUNT(CASE WHEN {counted} THEN 1 END) AS backlog_in, 0 AS backlog_out" if backlog else "")
        + f" FROM {TICKETS} GROUP BY 1, 2, 3, 4",
        f"SELECT {hour.format(col='resolved_at')}, {dims}, 0, COUNT(*), 0{more} FROM {TICKETS} "
        f"WHERE resolved_at IS NOT NULL GROUP BY 1, 2, 3, 4",
        f"SELECT {hour.format(col='closed_at')}, {dims}, 0, 0, COUNT(*){more} FROM {TICKETS} "
        f"WHERE closed_at IS NOT NULL GROUP BY 1, 2, 3, 4",
    ]
    if backlog:
        parts.append(f"SELECT {_left_hour(vendor)}, {dims}, 0, 0, 0, 0, COUNT(*) FROM {TICKETS} "
                     f"WHERE {counted} AND (resolved_at IS NOT NULL OR closed_at IS NOT NULL) GROUP BY 1, 2, 3, 4")
    counts = BACKLOG_COUNTS if backlog else COUNTS
    # one row per key (SQLite's unique key): an hour can hold a ticket's opening and another's resolution
    return [f"DELETE FROM {FLOW}",
            f"INSERT INTO {FLOW} ({BACKLOG_COLUMNS if backlog else COLUMNS}) SELECT hour, team_key, kind, priority, "
            f"{', '.join(f'SUM({c})' for c in counts)} FROM ({' UNION ALL '.join(parts)}) AS parts "
            f"GROUP BY hour, team_key, kind, priority"]


TRIGGERS = ("tickets_flow_insert", "tickets_flow_update", "tickets_flow_delete")


def _present(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE (type = 'trigger' AND tbl_name = %s) "
                           "OR (type = 'index' AND name = %s)", [TICKETS, KEY_INDEX])
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TICKETS])
        return {name for (name,) in cursor.fetchall()}


def ensure(connection) -> bool:
    """Put the triggers back, and recount the rollup, if a migration lost them (on SQLite, altering the tickets
    table rebuilds it under a new name and its triggers go with the old one). Runs after every `migrate`; returns
    whether it had to. One query when all is well."""
    if connection.vendor not in HOUR:
        return False
    expected = {*TRIGGERS, KEY_INDEX} if connection.vendor == "sqlite" else set(TRIGGERS)
    if expected <= _present(connection):
        return False
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for sql in [*drop_sql(connection.vendor), *backfill_sql(connection.vendor), *create_sql(connection.vendor)]:
            cursor.execute(sql)
    return True
