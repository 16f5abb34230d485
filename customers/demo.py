"""Demo customers, assets and contacts (development only). Deterministic, so re-running adds nothing."""
import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from servicedesk.lookups import demo_lookup

from .models import Asset, Channel, Contact, Customer, CustomerPhone, CustomerTier, Region

REGIONS = [  # code, Chinese name, English name, rural
    ("chaoyang", "朝阳区", "Chaoyang", False),
    ("haidian", "海淀区", "Haidian", False),
    ("dongcheng", "东城区", "Dongcheng", False),
    ("xicheng", "西城区", "Xicheng", False),
    ("changping", "昌平区", "Changping", True),
    ("miyun", "密云区", "Miyun", True),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"]
ORGS = ["Beijing Huaxin Trading Co.", "北京博远科技有限公司", "Jinghua Hospital", "朝阳区第三中学", "Sunrise Hotel", "北京美家物业"]
PRODUCTS = [
    ("Air conditioner", "KFR-35GW"),
    ("Air conditioner", "KFR-72LW"),
    ("Water heater", "JSQ-16"),
    ("Printer", "LJ-2200"),
    ("Elevator", "EL-800"),
    ("Refrigerator", "BCD-450"),
]


def load(*, stdout, options):
    count = options.get("customers", 300)
    rng = random.Random(20261123)
    User = get_user_model()
    desk = User.objects.get(username="frontdesk")
    regions = [demo_lookup(Region, name_zh=zh, name_en=en, lookup={"code": c}, defaults={"is_rural": r})[0]
               for c, zh, en, r in REGIONS]
    existing = set(CustomerPhone.objects.values_list("national", flat=True))
    # the organisations-only tiers the manager keeps (migration customers 0015 ships 1A–5A, 1B–5B)
    enterprise_levels = list(CustomerTier.objects.filter(applies_to=CustomerTier.AppliesTo.ORGANISATION, is_active=True)
                             .order_by("position", "code").values_list("code", flat=True))
    now = timezone.now()
    new_customers = []
    phones = []
    for i in range(count):
        # Draw every random value before deciding to skip, so a rerun replays the same sequence.
        national = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        is_org = i % 15 == 0
        name = ORGS[(i // 15) % len(ORGS)] + (f" #{i}" if i >= 15 * len(ORGS) else "") if is_org else (
            rng.choice(SURNAMES) + rng.choice(GIVEN)
        )
        tier = rng.choices(["diamond", "gold", "silver", "basic"], weights=[3, 10, 25, 62])[0]
        is_key_account = is_org and tier in ("diamond", "gold")
        if is_org and not is_key_account and enterprise_levels:
            # Issue 17: organisations that are not key accounts show the enterprise levels 1A–5A, 1B–5B
            # (derived from the index, not drawn: a rerun replays the same random sequence).
            tier = enterprise_levels[(i // 15) % len(enterprise_levels)]
        address = f"{rng.randint(1, 300)} {rng.choice(['Jianguo Rd', 'Xueyuan Rd', '长安街', '中关村大街'])}"
        region = rng.choice(regions)
        channel = rng.choice([Channel.WALK_IN, Channel.PHONE, Channel.REFERRAL, Channel.WEB])
        first_contact_at = now - timedelta(days=rng.randint(1, 900))
        if national in existing:
            continue
        existing.add(national)
        new_customers.append(
            Customer(
                kind=Customer.Kind.ORGANISATION if is_org else Customer.Kind.PERSON,
                name=name,
                address=address,
                region=region,
                tier=tier,
                is_key_account=is_key_account,
                first_contact_by=desk,
                first_contact_at=first_contact_at,
                first_contact_channel=channel,
                owner=desk,
            )
        )
        phones.append(national)
    created = Customer.objects.bulk_create(new_customers)
    CustomerPhone.objects.bulk_create(
        CustomerPhone(customer=c, number=f"+86{n}", national=n, is_primary=True) for c, n in zip(created, phones)
    )
    assets = []
    contacts = []
    for c in created:
        for _ in range(rng.randint(0, 2)):
            product, model = rng.choice(PRODUCTS)
            installed = date.today() - timedelta(days=rng.randint(30, 1500))
            assets.append(
                Asset(
                    customer=c,
                    product=product,
                    model=model,
                    serial_number=f"SN{rng.randint(10**7, 10**8 - 1)}",
                    install_date=installed,
                    warranty_end=installed + timedelta(days=730),
                    location=c.address,
                )
            )
        if rng.random() < 0.4:
            start = now - timedelta(days=rng.randint(0, 30), minutes=rng.randint(0, 600))
            contacts.append(
                Contact(
                    customer=c,
                    channel=rng.choice([Channel.WALK_IN, Channel.PHONE]),
                    purpose=rng.choice(list(Contact.Purpose.values)),
                    handled_by=desk,
                    started_at=start,
                    ended_at=start + timedelta(minutes=rng.randint(1, 15)),
                    notes="",
                )
            )
    Asset.objects.bulk_create(assets)
    Contact.objects.bulk_create(contacts)
    stdout.write(f"Customers: {len(created)} new ({Customer.objects.count()} in all), {len(assets)} assets, {len(contacts)} contacts.")
    _key_account_demo(stdout=stdout)


def _key_account_demo(*, stdout) -> None:
    """Issue 17: the first key account gets an account manager (the supervisor of the key-account work)
    and a service plan, so the customer page and the green channel show something. Idempotent."""
    from .models import ServicePlan, ServicePlanItem

    User = get_user_model()
    manager = User.objects.filter(username="agent").first()
    customer = Customer.objects.filter(is_key_account=True, merged_into__isnull=True).order_by("pk").first()
    if manager is None or customer is None:
        stdout.write("Key accounts: nothing to mark (no key account or demo staff).")
        return
    if customer.account_manager_id is None:
        Customer.objects.filter(pk=customer.pk).update(account_manager=manager)
    plan, created = ServicePlan.objects.get_or_create(customer=customer, defaults={
        "summary": "季度巡检，故障 2 小时内响应，专属客户经理跟进。\nQuarterly inspection, 2-hour response to faults, "
                   "a named account manager.",
        "updated_by": manager,
    })
    if created:
        ServicePlanItem.objects.bulk_create([
            ServicePlanItem(plan=plan, kind="contact", title="王工 (设备科)", details="139 0000 0001", sort_order=0),
            ServicePlanItem(plan=plan, kind="site", title="总部大楼 / Head office", details=customer.address, sort_order=1),
            ServicePlanItem(plan=plan, kind="inspection", title="每季度一次 / Every quarter",
                            details="3月、6月、9月、12月 / Mar, Jun, Sep, Dec", sort_order=2),
            ServicePlanItem(plan=plan, kind="term", title="夏季高峰前检修 / Service before the summer peak", sort_order=3),
        ])
    stdout.write(f"Key accounts: {customer.name} managed by {manager.username}, service plan "
                 f"{'created' if created else 'already there'}.")
