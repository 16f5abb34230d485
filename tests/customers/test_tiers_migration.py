"""Issue 17: the tiers migration keeps every row (customers 0015: the tiers table, filled before the customer's
tier field loses its fixed choices). Customers and SLA policies with every old tier, on the schema before;
migrate forward: every row keeps its tier and every code has a tier with a name; migrate back: still the same."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("customers", "0014_service_plan")]
AFTER = [("customers", "0015_customer_tiers")]
OLD_TIERS = ["diamond", "gold", "silver", "basic"]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.migrate(targets).apps


@pytest.mark.django_db(transaction=True)
def test_tiers_migration_keeps_every_row():
    try:
        # given the schema before tiers were data, with customers and SLA policies of every old tier
        apps = _migrate(BEFORE)
        Customer, SLAPolicy = apps.get_model("customers", "Customer"), apps.get_model("sla", "SLAPolicy")
        assert "customertier" not in {m._meta.model_name for m in apps.get_app_config("customers").get_models()}
        customers = {}
        for code in OLD_TIERS:
            for kind in ("person", "organisation"):
                customers[Customer.objects.create(name=f"{code} {kind}", kind=kind, tier=code).pk] = code
        # a code written around the old choices (raw SQL, an old import) is kept too
        customers[Customer.objects.create(name="odd", tier="vip").pk] = "vip"
        policies = {SLAPolicy.objects.create(name=f"Migration {code}", tier=code, order=900).pk: code
                    for code in [*OLD_TIERS, ""]}

        # when
        apps = _migrate(AFTER)
        Customer, SLAPolicy = apps.get_model("customers", "Customer"), apps.get_model("sla", "SLAPolicy")
        CustomerTier = apps.get_model("customers", "CustomerTier")

        # then every row keeps its tier, and every code has a tier with a name in both languages
        assert dict(Customer.objects.filter(pk__in=customers).values_list("pk", "tier")) == customers
        assert dict(SLAPolicy.objects.filter(pk__in=policies).values_list("pk", "tier")) == policies
        tiers = {t.code: t for t in CustomerTier.objects.all()}
        for code in OLD_TIERS:
            assert tiers[code].is_active and tiers[code].name and tiers[code].name_en
        assert [tiers[c].name for c in OLD_TIERS] == ["钻石", "金", "银", "基础"]
        assert {c for c, t in tiers.items() if t.applies_to == "organisation"} == {
            f"{n}{g}" for g in "ab" for n in range(1, 6)}
        assert [c for c, t in tiers.items() if t.is_default] == ["basic"]
        assert tiers["vip"].name == "vip" and not tiers["vip"].is_active  # shown by its code, not offered

        # and back: the table goes, the rows are untouched
        apps = _migrate(BEFORE)
        Customer, SLAPolicy = apps.get_model("customers", "Customer"), apps.get_model("sla", "SLAPolicy")
        assert dict(Customer.objects.filter(pk__in=customers).values_list("pk", "tier")) == customers
        assert dict(SLAPolicy.objects.filter(pk__in=policies).values_list("pk", "tier")) == policies
        assert "customers_customertier" not in connection.introspection.table_names()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
