"""PostgreSQL: the triggers that keep ContactHourCount (see its docstring), and the backfill.

A contact counts once: at the UTC hour its started_at falls in, under the staff member who handled it, its channel
and its direction. Statement-level triggers over transition tables add +1 for each new contact, −1 for the old and
+1 for the new when one of those four changes, −1 for a deleted one — summed per key and folded into the key's row in
the same statement (ON CONFLICT, keys in order so two statements lock rows in the same order). A delete writes
nothing while the table is empty (Django's test flush).
"""
CONTACTS = "customers_contact"
TABLE = "customers_contacthourcount"
KEY = "hour, handled_by_key, channel, direction"


def _hour(row: str) -> str:
    """The UTC hour of started_at, as an instant (the same in every session time zone)."""
    return f"date_trunc('hour', {row}.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"


def _insert(rows: str, parts: tuple[tuple[str, int], ...], where: str = "") -> str:
    selects = " UNION ALL ".join(f"SELECT {_hour(row)}, {row}.handled_by_id, {row}.channel, {row}.direction, {sign}"
                                 for row, sign in parts)
    return (f"INSERT INTO {TABLE} ({KEY}, n) SELECT x.hour, x.handled_by_key, x.channel, x.direction, SUM(x.n) "
            f"FROM {rows} CROSS JOIN LATERAL ({selects}) AS x({KEY}, n) {where} GROUP BY 1, 2, 3, 4 "
            f"HAVING SUM(x.n) <> 0 ORDER BY 1, 2, 3, 4 ON CONFLICT ({KEY}) DO UPDATE SET n = {TABLE}.n + EXCLUDED.n")


OPS = ("insert", "update", "delete")


def create_sql() -> list[str]:
    def function(name: str, body: str) -> str:
        return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{body}; RETURN NULL; END $$")

    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in ("started_at", "handled_by_id", "channel",
                                                                  "direction"))
    bodies = {
        "insert": _insert("contact_new AS n", (("n", 1),)),
        "update": _insert("contact_old AS o JOIN contact_new AS n ON n.id = o.id", (("o", -1), ("n", 1)),
                          f"WHERE {changed}"),
        "delete": f"IF EXISTS (SELECT 1 FROM {TABLE}) THEN {_insert('contact_old AS o', (('o', -1),))}; END IF",
    }
    refs = {"insert": "NEW TABLE AS contact_new", "update": "OLD TABLE AS contact_old NEW TABLE AS contact_new",
            "delete": "OLD TABLE AS contact_old"}
    return [*(function(f"customers_contact_count_on_{op}", bodies[op]) for op in OPS),
            *(f"CREATE TRIGGER customers_contact_count_{op} AFTER {op.upper()} ON {CONTACTS} REFERENCING {refs[op]} "
              f"FOR EACH STATEMENT EXECUTE FUNCTION customers_contact_count_on_{op}()" for op in OPS)]


def drop_sql() -> list[str]:
    return [*(f"DROP TRIGGER IF EXISTS customers_contact_count_{op} ON {CONTACTS}" for op in OPS),
            *(f"DROP FUNCTION IF EXISTS customers_contact_count_on_{op}()" for op in OPS)]


def backfill_sql() -> list[str]:
    return [f"DELETE FROM {TABLE}",
            f"INSERT INTO {TABLE} ({KEY}, n) SELECT {_hour('c')}, c.handled_by_id, c.channel, c.direction, COUNT(*) "
            f"FROM {CONTACTS} AS c GROUP BY 1, 2, 3, 4"]
