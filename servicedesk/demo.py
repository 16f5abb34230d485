"""Demo staff: one login per role, password 'demo' (development only)."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from . import roles
from .lookups import demo_lookup
from .models import StaffProfile, Team

# A real department names its teams in Chinese; the English name is the translation English readers see.
TEAMS = [("Repairs", "维修组"), ("Complaints", "投诉组"), ("Key accounts", "大客户组")]
DEMO_STAFF = [
    # username, first name, last name, role, team
    ("frontdesk", "Fang", "Wang", roles.FRONT_DESK, None),
    ("agent", "Lei", "Zhang", roles.AGENT, "Repairs"),
    ("agent2", "Mei", "Chen", roles.AGENT, "Complaints"),
    ("supervisor", "Jun", "Liu", roles.SUPERVISOR, "Repairs"),
    ("technician", "Wei", "Li", roles.TECHNICIAN, None),
    ("technician2", "Qiang", "Zhao", roles.TECHNICIAN, None),
    ("manager", "Hong", "Sun", roles.MANAGER, None),
]
# Desk phones: `manage.py simulate_call --extension 8001` pops a caller's card for the front desk.
DEMO_EXTENSIONS = {"frontdesk": "8001", "agent": "8002", "agent2": "8003"}


def load(*, stdout, options):
    roles.sync_roles()
    User = get_user_model()
    teams = {en: demo_lookup(Team, name_zh=zh, name_en=en)[0] for en, zh in TEAMS}
    for username, first, last, role, team in DEMO_STAFF:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"}
        )
        if created:
            user.set_password("demo")
            user.is_staff = role == roles.MANAGER
            user.save()
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.get_or_create(
            user=user, defaults={"team": teams.get(team), "extension": DEMO_EXTENSIONS.get(username, "")})
    supervisor = User.objects.get(username="supervisor")
    # Only the demo's own teams (issue 11 item 10: the loader never touches rows people made).
    Team.objects.filter(pk__in=[t.pk for t in teams.values()], supervisor__isnull=True).update(supervisor=supervisor)
    stdout.write(f"Staff: {len(DEMO_STAFF)} demo logins.")
