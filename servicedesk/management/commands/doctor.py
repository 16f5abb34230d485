"""`manage.py doctor`: what /healthz reports, for a person at a terminal. Exit status 1 if anything fails."""
from django.core.management.base import BaseCommand

from servicedesk.health import health


def _fmt_age(seconds) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


class Command(BaseCommand):
    help = "Check the database, cache, broker, periodic sweeps, outbox and SLA sweep (as /healthz does)."

    def handle(self, *args, **options):
        report = health()
        checks = report["checks"]
        lines = []

        def line(name, ok, detail):
            mark = self.style.SUCCESS("ok  ") if ok else self.style.ERROR("FAIL")
            lines.append(f"{mark} {name:<42} {detail}")

        for name in ("database", "cache", "broker"):
            c = checks[name]
            line(name, c["ok"], f"{c['ms']} ms" + (f"  ({c['error']})" if "error" in c else ""))
        if "sweeps" not in checks:
            lines.append("     (the rest needs the database)")
        elif any("error" in checks[name] for name in ("sweeps", "outbox", "sla")):
            for name in ("sweeps", "outbox", "sla"):
                c = checks[name]
                line(name, c["ok"], c.get("error", ""))
        else:
            sweeps = checks["sweeps"]
            for job, entry in sweeps.get("jobs", {}).items():
                ok = entry.get("ok", True)
                crit = f" (limit {int(sweeps['max_age_s'])} s)" if "ok" in entry else ""
                line(f"last run: {job}", ok, _fmt_age(entry["last_run_age_s"]) + crit)
            o = checks["outbox"]
            line("outbox: oldest undelivered", o["ok"],
                 ("none" if o.get("oldest_undelivered_age_s") is None else _fmt_age(o["oldest_undelivered_age_s"]))
                 + f" (limit {int(o.get('max_age_s', 0))} s); undeliverable: {o.get('undeliverable', '?')}")
            s = checks["sla"]
            line("SLA clocks due but not swept", s["ok"], f"{s.get('due_unswept', '?')} (grace {int(s.get('grace_s', 0))} s)")
        self.stdout.write("\n".join(lines))
        self.stdout.write(f"\nStatus: {report['status'].upper()}")
        if report["status"] != "ok":
            raise SystemExit(1)
