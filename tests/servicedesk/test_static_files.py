"""Static files survive production's collectstatic (issue 13 item 2).

The manifest storage rewrites every url()/sourceMappingURL reference to its hashed name and stops
with an error when the referenced file is missing: the vendored minified files point at their
source maps, which therefore have to be vendored too (static/vendor/SOURCES.md says why).
"""
import re

from django.contrib.staticfiles import finders
from django.core.management import call_command

SOURCE_MAP = re.compile(r"[#@] sourceMappingURL=(\S+?)\s*(?:\*/)?\s*$", re.M)


def _static_files():
    for finder in finders.get_finders():
        for path, storage in finder.list(ignore_patterns=[]):
            yield path, storage


def test_every_source_map_reference_points_at_a_vendored_file():
    # given every .js/.css file the project serves
    missing, seen = [], 0
    for path, storage in _static_files():
        if not path.endswith((".js", ".css")):
            continue
        with storage.open(path) as f:
            text = f.read().decode("utf-8", errors="replace")
        for ref in SOURCE_MAP.findall(text):
            seen += 1
            target = "/".join([*path.split("/")[:-1], ref])
            if not storage.exists(target):
                missing.append(f"{path} -> {ref}")
    # then
    assert seen >= 4  # bootstrap css and js, chart.js, signature_pad
    assert missing == []


def test_collectstatic_with_the_manifest_storage_succeeds(settings, tmp_path):
    # given production's hashed storage (without whitenoise's compression: same references, faster)
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    # when
    call_command("collectstatic", interactive=False, verbosity=0)
    # then the bundles exist under their hashed names, their map references rewritten
    hashed = list((tmp_path / "vendor" / "bootstrap").glob("bootstrap.min.*.css"))
    assert len(hashed) == 1
    assert re.search(r"sourceMappingURL=bootstrap\.min\.css\.[0-9a-f]{12}\.map", hashed[0].read_text())
