import polib
from django.core.management.base import BaseCommand, CommandError

from servicedesk.i18n_checks import conflicting_entries, entry_problems

from .i18n_compile import catalogues


class Command(BaseCommand):
    help = (
        "Fail if any Chinese catalogue has an untranslated, fuzzy or untranslated-English entry, a translation "
        "whose placeholders differ from its source, or a message translated differently in two catalogues."
    )

    def handle(self, *args, **options):
        problems = []
        paths = [p for p in catalogues() if "zh_Hans" in p.parts]
        if not paths:
            raise CommandError("No zh_Hans catalogue found.")
        for po_path in paths:
            po = polib.pofile(str(po_path))
            for entry in po:
                problems.extend(f"{po_path}: {p}" for p in entry_problems(entry))
            self.stdout.write(f"{po_path}: {po.percent_translated()}% translated, {len(po.translated_entries())} entries")
        problems.extend(conflicting_entries(paths))
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(self.style.SUCCESS("Every Chinese catalogue is complete."))
