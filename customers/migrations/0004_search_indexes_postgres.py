"""Search indexes that only PostgreSQL has (the model state does not change).

- Name search is `name__icontains`, which Django writes as `UPPER(name::text) LIKE UPPER('%q%')`:
  a pg_trgm GIN index on exactly that expression lets PostgreSQL answer it without a full scan.
- Phone prefix search is a range on `national` and uses the plain b-tree index on both databases.
"""
from django.db import migrations

INDEX = "customer_name_upper_trgm_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer USING gin ((UPPER(name::text)) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_asset_warranty_export_staff_intake")]

    operations = [migrations.RunPython(forwards, backwards)]
