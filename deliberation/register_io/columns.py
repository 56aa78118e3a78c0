"""The register's file format: its columns (headed in Chinese or English), the words its
choice columns accept, a parsed row, and the errors an import reports."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy, pgettext_lazy

from deliberation.models import AreaBasis, HolderKind, UnitKind

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@")
TWO_PLACES = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    aliases: tuple = ()
    required: bool = False
    text: bool = False  # free text: refuse a leading = + - @


COLUMNS = [
    Column("estate", "小区", "Estate", ("小区名称", "estate name"), required=True, text=True),
    Column("building", "楼栋", "Building", ("楼号", "楼栋号"), required=True, text=True),
    Column("stairwell", "单元", "Stairwell", ("单元号", "entrance"), text=True),
    Column("number", "房号", "Unit number", ("房间号", "户号", "门牌号", "unit"), True, True),
    Column("floor", "楼层", "Floor", ("层",)),
    Column("area", "建筑面积(㎡)", "Area (m²)", ("建筑面积", "面积", "area"), required=True),
    Column("area_basis", "面积依据", "Area basis", ("面积来源",)),
    Column("kind", "类型", "Kind", ("房屋类型", "unit kind", "type")),
    Column("holder_name", "业主姓名", "Holder name", ("姓名", "业主", "name", "owner"), True, True),
    Column("holder_kind", "业主类型", "Holder kind", ("owner kind",)),
    Column(
        "id_number",
        "证件号码",
        "Identity number",
        ("身份证号", "身份证号码", "id number"),
        text=True,
    ),
    Column("phone", "手机号", "Mobile number", ("手机", "手机号码", "电话", "联系电话", "phone")),
    Column("share", "份额", "Share", ("产权份额",)),
    Column("voter", "表决人", "Designated voter", ("是否表决人", "voter")),
]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}

AREA_BASIS_WORDS = {
    AreaBasis.REGISTERED: ("登记", "registered"),
    AreaBasis.SURVEYED: ("测绘", "surveyed"),
    AreaBasis.CONTRACT: ("合同", "contract"),
}
UNIT_KIND_WORDS = {
    UnitKind.FLAT: ("住宅", "flat"),
    UnitKind.SHOP: ("商铺", "shop"),
    UnitKind.PARKING: ("车位", "parking"),
}
HOLDER_KIND_WORDS = {
    HolderKind.PERSON: ("个人", "person"),
    HolderKind.ORGANISATION: ("单位", "organisation"),
    HolderKind.DEVELOPER: ("建设单位", "developer"),
}
YES_WORDS = {"是", "yes", "y", "true", "1", "√", "✓"}
NO_WORDS = {"否", "no", "n", "false", "0"}

FIELD_LABELS = {
    "floor": gettext_lazy("floor"),
    "area": gettext_lazy("area"),
    "area_basis": gettext_lazy("area basis"),
    "kind": pgettext_lazy("unit", "kind"),
    "holders": gettext_lazy("holders"),
    "name": gettext_lazy("name"),
    "phone": gettext_lazy("mobile number"),
    "holder_kind": gettext_lazy("holder kind"),
}


class RegisterFileError(Exception):
    """The upload as a whole cannot be used (not an xlsx, too big, no header row...)."""


class RegisterRejected(Exception):
    """The file has row errors; nothing was changed."""

    def __init__(self, plan):
        super().__init__("register has errors")
        self.plan = plan


class RegisterChanged(Exception):
    """The register or the file changed between preview and apply; nothing was changed."""


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass(slots=True)
class Row:
    row: int
    estate: str
    building: str
    stairwell: str
    number: str
    floor: int | None
    area: Decimal | None
    area_basis: str
    kind: str
    holder_name: str
    holder_kind: str
    id_digest: str
    id_masked: str
    id_is_masked: bool
    phone: str
    share: Decimal | None
    voter: bool | None


@dataclass
class ParsedRegister:
    rows: list
    errors: list
    headers: dict  # key -> (column letter, header text as written)
    sha256: str

    def column_name(self, key):
        letter, text = self.headers.get(key, ("", COLUMN_BY_KEY[key].zh))
        return f"{letter} {text}".strip()


def change_label(name):
    return FIELD_LABELS.get(name, gettext_lazy("identity number"))
