from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogues() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted(p for p in base.glob("*/locale/*/LC_MESSAGES/django.po")) + sorted(
        base.glob("locale/*/LC_MESSAGES/django.po")
    )


class Command(BaseCommand):
    help = "Compile every .po catalogue to .mo in pure Python (no GNU gettext needed on the machine)."

    def handle(self, *args, **options):
        count = 0
        for po_path in catalogues():
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            count += 1
        self.stdout.write(f"Compiled {count} catalogue(s).")
