"""Search indexes only PostgreSQL has (the model state does not change; SQLite skips this).

- GIN on the generated search_vector (weighted 'simple' tsvector of words and Chinese bigrams):
  answers `search_vector @@ tsquery` for search and ticket suggestions.
- pg_trgm GIN on title and body (gin_trgm_ops): trigram similarity ranking of titles and
  substring (icontains) look-ups stay index-backed; pg_trgm works character-wise, so it also
  covers Chinese (the database is UTF-8 with a C.UTF-8/UTF-8 ctype).
"""
from django.db import migrations

INDEXES = {
    "kb_article_search_gin": "USING gin (search_vector)",
    "kb_article_title_trgm": "USING gin (title gin_trgm_ops)",
    "kb_article_body_trgm": "USING gin (body gin_trgm_ops)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON knowledge_article {definition}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
