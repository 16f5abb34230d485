import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Load demo data: staff in every role (password 'demo'), customers, assets, contacts and what each "
        "area adds. Safe to run again (nothing is duplicated). Refuses to run with DEBUG off."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300)

    def handle(self, *args, customers, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for development only: refusing to load it with DEBUG off.")
        # Each app may ship demo.py with load(*, stdout, options); run them in INSTALLED_APPS order
        # so that tickets find customers, dispatch finds tickets, and so on. `demo_tickets` collects
        # the tickets made in THIS run: later loaders (SLA clocks, surveys, callbacks) work only on
        # those, never on rows people made between two runs (issue 11 item 10), and a second run,
        # which makes no tickets, touches nothing.
        shared = {"customers": customers, "demo_tickets": set()}
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name == f"{config.name}.demo":
                    continue
                raise
            with transaction.atomic():
                module.load(stdout=self.stdout, options=shared)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("Demo logins (password: demo): frontdesk, agent, agent2, supervisor, technician, manager; "
                          "marketing and production (heads who fill assessment forms)")
