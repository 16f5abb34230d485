import polib
from django.core.management.base import BaseCommand, CommandError

from .i18n_compile import catalogues


class Command(BaseCommand):
    help = "Fail if any Chinese catalogue has an untranslated or fuzzy entry."

    def handle(self, *args, **options):
        problems = []
        found = 0
        for po_path in catalogues():
            if "zh_Hans" not in po_path.parts:
                continue
            found += 1
            po = polib.pofile(str(po_path))
            for entry in po.untranslated_entries():
                problems.append(f"{po_path}: untranslated: {entry.msgid!r}")
            for entry in po.fuzzy_entries():
                problems.append(f"{po_path}: fuzzy: {entry.msgid!r}")
            self.stdout.write(f"{po_path}: {po.percent_translated()}% translated, {len(po.translated_entries())} entries")
        if not found:
            raise CommandError("No zh_Hans catalogue found.")
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(self.style.SUCCESS("Every Chinese catalogue is complete."))
