"""Work orders for API tests, made through the dispatch service."""
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from customers.models import Region
from dispatch.models import Skill
from dispatch.services import workorder_create


def make_workorder(*, ticket, created_by):
    region, _ = Region.objects.get_or_create(code="api-test", defaults={"name": "接口区"})
    skill, _ = Skill.objects.get_or_create(code="api-test", defaults={"name": "接口维修"})
    start = timezone.now() + timedelta(days=1)
    return workorder_create(ticket=ticket, created_by=created_by, skill=skill, estimated_value=Decimal("300"),
                            window_start=start, window_end=start + timedelta(hours=2), address="建国路 88 号",
                            region=region)
