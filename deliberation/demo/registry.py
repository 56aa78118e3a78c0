"""Demo registry: 共议社区 with two estates (阳光小区 has 200 flats, 和谐家园 96), a developer and
one user per role."""

import random
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from accounts.phone import normalise_phone
from deliberation.models import (
    AreaBasis,
    Building,
    Community,
    Estate,
    Grid,
    Holder,
    HolderKind,
    Membership,
    Ownership,
    Role,
    StreetOffice,
    Unit,
    UnitKind,
)
from deliberation.registry import identity_digest, mask_identity

DEMO_PASSWORD = "gongyi2026"  # noqa: S105  (printed for the demo on purpose)
COMMUNITY_NAME = "幸福里社区"

# (key, phone, real name, email, roles, owns a flat)
PERSONAS = [
    ("owner", "13800000001", "李明", "owner@demo.gongyi", [Role.RESIDENT], True),
    ("resident", "13800000002", "王芳", "resident@demo.gongyi", [Role.RESIDENT], False),
    ("grid_worker", "13800000003", "张伟", "grid@demo.gongyi", [Role.GRID_WORKER], False),
    (
        "community_worker",
        "13800000004",
        "刘洋",
        "worker@demo.gongyi",
        [Role.COMMUNITY_WORKER],
        False,
    ),
    (
        "committee",
        "13800000005",
        "陈静",
        "committee@demo.gongyi",
        [Role.COMMITTEE, Role.RESIDENT],
        True,
    ),
    ("chair", "13800000006", "赵书记", "chair@demo.gongyi", [Role.PARTY_SECRETARY], False),
    ("partner", "13800000007", "孙红", "partner@demo.gongyi", [Role.PARTNER_CONTACT], False),
    ("observer", "13800000008", "周街道", "observer@demo.gongyi", [Role.STREET_OBSERVER], False),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷"
    "龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌建华海燕雪梅凤兰"


def _id_number(n):
    """A made-up identity number in the right shape (never a real person's)."""
    return f"110105{1950 + n % 50:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}{n % 10}"


def seed(context):
    with transaction.atomic():
        community = Community.objects.filter(name=COMMUNITY_NAME).first()
        if community is None:
            community = _build_registry()
        users = _ensure_personas(community)
        _ensure_neighbours(community)
    return {"community": community, "users": users, "password": DEMO_PASSWORD}


def _build_registry():
    rng = random.Random(2026)  # noqa: S311  (repeatable demo data, not security)
    street, _ = StreetOffice.objects.get_or_create(name="和平街道")
    # A pilot with a few dozen residents signed up: 5 co-signs, or 30 % of them if fewer.
    community = Community.objects.create(
        name=COMMUNITY_NAME,
        street_office=street,
        address="和平路 88 号",
        cosign_threshold=5,
        cosign_share_permille=300,
    )
    developer = Holder.objects.create(
        community=community, kind=HolderKind.DEVELOPER, name="和平置业有限公司"
    )
    holder_no = 0
    for estate_name, buildings, floors in (("阳光小区", 5, 10), ("和谐家园", 3, 8)):
        estate = Estate.objects.create(community=community, name=estate_name)
        for b in range(1, buildings + 1):
            building = Building.objects.create(estate=estate, name=f"{b}号楼")
            for floor in range(1, floors + 1):
                for room in range(1, 5):
                    area = Decimal(rng.randint(5500, 14500)) / 100
                    unit = Unit.objects.create(
                        building=building,
                        stairwell=f"{(room + 1) // 2}单元",
                        number=f"{floor}{room:02d}",
                        floor=floor,
                        area=area,
                        area_basis=AreaBasis.REGISTERED,
                        kind=UnitKind.FLAT,
                    )
                    if rng.random() < 0.04:
                        Ownership.objects.create(unit=unit, holder=developer)
                        continue
                    holder_no += 1
                    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
                    id_number = _id_number(holder_no)
                    holder = Holder.objects.create(
                        community=community,
                        name=name,
                        id_digest=identity_digest(id_number),
                        id_masked=mask_identity(id_number),
                        phone=f"139{holder_no:08d}",
                    )
                    Ownership.objects.create(unit=unit, holder=holder)
        grid = Grid.objects.create(community=community, name=f"{estate_name}网格")
        grid.buildings.set(estate.buildings.all())
    return community


def _ensure_personas(community):
    users = {}
    first_estate = community.estates.order_by("pk").first()
    for key, phone, name, email, roles, owns in PERSONAS:
        user = User.objects.filter(phone=normalise_phone(phone)).first()
        if user is None:
            user = User.objects.create_user(
                email=email, phone=normalise_phone(phone), password=DEMO_PASSWORD, real_name=name
            )
            user.phone_verified = True
            user.save(update_fields=["phone_verified"])
        for role in roles:
            estate = first_estate if role == Role.COMMITTEE else None
            Membership.objects.get_or_create(
                user=user, community=community, role=role, estate=estate
            )
        if owns and not Holder.objects.filter(user=user).exists():
            unit = (
                Unit.objects.filter(building__estate=first_estate, ownerships__holder__user=None)
                .exclude(ownerships__holder__kind=HolderKind.DEVELOPER)
                .order_by("pk")
                .first()
            )
            holder = unit.ownerships.get().holder
            holder.name, holder.user, holder.phone = name, user, phone
            holder.save(update_fields=["name", "user", "phone"])
        users[key] = user
    grid = community.grids.order_by("pk").first()
    if grid and grid.worker_id is None:
        grid.worker = users["grid_worker"]
        grid.save(update_fields=["worker"])
    return users


NEIGHBOURS = 12


def _ensure_neighbours(community):
    """Owners from the register who signed up (no demo login): they co-sign the matters."""
    have = Membership.objects.filter(
        community=community, role=Role.RESIDENT, user__email__endswith="@neighbour.demo.gongyi"
    ).count()
    holders = (
        Holder.objects.filter(community=community, kind=HolderKind.PERSON, user=None)
        .exclude(phone="")
        .order_by("pk")[: max(0, NEIGHBOURS - have)]
    )
    for holder in holders:
        user = User.objects.create_user(
            email=f"{holder.phone}@neighbour.demo.gongyi",
            phone=normalise_phone(holder.phone),
            password=None,
            real_name=holder.name,
        )
        holder.user = user
        holder.save(update_fields=["user"])
        Membership.objects.get_or_create(user=user, community=community, role=Role.RESIDENT)
