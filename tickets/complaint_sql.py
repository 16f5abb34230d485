"""PostgreSQL: the triggers that keep TicketComplaintCount (see its docstring), and the backfill.

A complaint counts while both it and its ticket exist and the ticket's kind is complaint: on the UTC day of the
ticket's created_at, under the ticket's team, the complaint's category and department, with the microseconds from
the ticket's opening to investigated_at and to solution_sent_at when set. Statement-level triggers on both tables
take the old rows' counts off and add the new rows' (an INSERT or DELETE of either side, an UPDATE of a complaint,
an UPDATE of a ticket's created_at, team or kind), summed per key and folded into the key's row in the same
statement (ON CONFLICT, keys in order). Because a count needs both rows, either may be written first (the foreign
key is checked at commit): the second one's trigger finds the first. A delete writes nothing while the table is
empty (Django's test flush).
"""
TICKETS = "tickets_ticket"
COMPLAINTS = "tickets_complaint"
TABLE = "tickets_ticketcomplaintcount"
KIND = "complaint"  # Ticket.Kind.COMPLAINT: the report counts complaints on complaint tickets
KEY = "day, team_key, category, department_key"
SUMS = ("n", "inv_n", "inv_us", "sol_n", "sol_us")


ROW = "t.created_at, t.team_id, t.kind, c.category, c.department_id, c.investigated_at, c.solution_sent_at"


def micros(end: str, start: str) -> str:
    """end − start in whole microseconds, exactly (extract gives a numeric)."""
    return f"(extract(epoch from {end} - {start}) * 1000000)::bigint"


def _source(rows: str, sign: int, where: str = "") -> str:
    """The (ticket t, complaint c) pairs of `rows`, with the sign their counts take."""
    return f"SELECT {ROW}, {sign} AS sign FROM {rows} {where}"


def _insert(*sources: str) -> str:
    """Fold the sources' counts into the table, summed per key (rows of complaint tickets only)."""
    def part(col: str) -> str:
        return (f"SUM(CASE WHEN r.{col} IS NULL THEN 0 ELSE r.sign END), "
                f"SUM(r.sign * coalesce({micros(f'r.{col}', 'r.created_at')}, 0))")

    sets = ", ".join(f"{s} = {TABLE}.{s} + EXCLUDED.{s}" for s in SUMS)
    nonzero = " OR ".join(f"{s} <> 0" for s in SUMS)
    return (f"INSERT INTO {TABLE} ({KEY}, {', '.join(SUMS)}) SELECT * FROM ("
            f"SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, coalesce(r.team_id, 0) AS team_key, r.category, "
            f"coalesce(r.department_id, 0) AS department_key, SUM(r.sign), {part('investigated_at')}, "
            f"{part('solution_sent_at')} "
            f"FROM ({' UNION ALL '.join(sources)}) AS r WHERE r.kind = '{KIND}' GROUP BY 1, 2, 3, 4"
            f") AS x ({KEY}, {', '.join(SUMS)}) WHERE {nonzero} ORDER BY 1, 2, 3, 4 "
            f"ON CONFLICT ({KEY}) DO UPDATE SET {sets}")


def create_sql() -> list[str]:
    def function(name: str, body: str) -> str:
        return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{body}; RETURN NULL; END $$")

    def guarded(sql: str) -> str:
        return f"IF EXISTS (SELECT 1 FROM {TABLE}) THEN {sql}; END IF"

    def changed(old: str, new: str) -> str:
        return " OR ".join(f"{old}.{col} IS DISTINCT FROM {new}.{col}" for col in ("created_at", "team_id", "kind"))

    with_ticket = f"JOIN {TICKETS} AS t ON t.id = c.ticket_id"
    with_complaint = f"JOIN {COMPLAINTS} AS c ON c.ticket_id = t.id"
    functions = {
        # a complaint written: with its ticket as it is now (none yet: the ticket's own trigger counts it)
        "c_insert": _insert(_source(f"cc_new AS c {with_ticket}", 1)),
        "c_update": _insert(_source(f"cc_old AS c {with_ticket}", -1), _source(f"cc_new AS c {with_ticket}", 1)),
        "c_delete": guarded(_insert(_source(f"cc_old AS c {with_ticket}", -1))),
        # a ticket written: with its complaint already there (written first, or the ticket's moment, team or kind moved)
        "t_insert": _insert(_source(f"ct_new AS t {with_complaint}", 1)),
        "t_update": _insert(
            _source(f"ct_old AS t JOIN ct_new AS n ON n.id = t.id {with_complaint}", -1, f"WHERE {changed('t', 'n')}"),
            _source(f"ct_new AS t JOIN ct_old AS o ON o.id = t.id {with_complaint}", 1, f"WHERE {changed('o', 't')}")),
        "t_delete": guarded(_insert(_source(f"ct_old AS t {with_complaint}", -1))),
    }
    triggers = {
        "c_insert": (COMPLAINTS, "INSERT", "NEW TABLE AS cc_new"),
        "c_update": (COMPLAINTS, "UPDATE", "OLD TABLE AS cc_old NEW TABLE AS cc_new"),
        "c_delete": (COMPLAINTS, "DELETE", "OLD TABLE AS cc_old"),
        "t_insert": (TICKETS, "INSERT", "NEW TABLE AS ct_new"),
        "t_update": (TICKETS, "UPDATE", "OLD TABLE AS ct_old NEW TABLE AS ct_new"),
        "t_delete": (TICKETS, "DELETE", "OLD TABLE AS ct_old"),
    }
    return [*(function(f"tickets_complaint_count_{op}", body) for op, body in functions.items()),
            *(f"CREATE TRIGGER tickets_complaint_count_{op} AFTER {event} ON {table} REFERENCING {refs} "
              f"FOR EACH STATEMENT EXECUTE FUNCTION tickets_complaint_count_{op}()"
              for op, (table, event, refs) in triggers.items())]


OPS = ("c_insert", "c_update", "c_delete", "t_insert", "t_update", "t_delete")


def drop_sql() -> list[str]:
    return [*(f"DROP TRIGGER IF EXISTS tickets_complaint_count_{op} ON {COMPLAINTS if op[0] == 'c' else TICKETS}"
              for op in OPS),
            *(f"DROP FUNCTION IF EXISTS tickets_complaint_count_{op}()" for op in OPS)]


def backfill_sql() -> list[str]:
    return [f"DELETE FROM {TABLE}", _insert(_source(f"{COMPLAINTS} AS c JOIN {TICKETS} AS t ON t.id = c.ticket_id", 1))]
