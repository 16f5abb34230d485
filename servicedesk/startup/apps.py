"""The start-up freeze: see the package's docstring."""
import gc

from django.apps import AppConfig


class StartupConfig(AppConfig):
    name = "servicedesk.startup"
    label = "servicedesk_startup"

    def ready(self):
        gc.freeze()
