"""Owners' register import and export: preview, all-or-nothing apply, bad uploads, commands."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from deliberation import register_io
from deliberation.models import AuditEntry, Building, Holder, Ownership, Unit

pytestmark = pytest.mark.django_db

HEADERS = [
    "小区", "楼栋", "单元", "房号", "楼层", "建筑面积(㎡)", "面积依据", "类型",
    "业主姓名", "业主类型", "证件号码", "手机号", "份额", "表决人",
]  # fmt: skip
ID_ZHANG = "110105195001011234"


def xlsx(rows, headers=HEADERS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(number, name, area=80, estate="测试社区小区", building="1号楼", **extra):
    values = {
        "stairwell": "",
        "floor": 1,
        "basis": "登记",
        "kind": "住宅",
        "holder_kind": "个人",
        "id": "",
        "phone": "",
        "share": "",
        "voter": "",
    }
    values.update(extra)
    return [
        estate, building, values["stairwell"], number, values["floor"], area, values["basis"],
        values["kind"], name, values["holder_kind"], values["id"], values["phone"],
        values["share"], values["voter"],
    ]  # fmt: skip


def current_register(community):
    """Everything an import could touch, to show that a refused import changed nothing."""
    units = list(
        Unit.objects.filter(building__estate__community=community)
        .order_by("pk")
        .values_list("pk", "building_id", "stairwell", "number", "floor", "area", "kind")
    )
    holders = list(
        Holder.objects.filter(community=community)
        .order_by("pk")
        .values_list("pk", "name", "phone", "kind", "id_digest")
    )
    owners = list(
        Ownership.objects.order_by("pk").values_list(
            "unit_id", "holder_id", "share", "is_designated_voter"
        )
    )
    buildings = list(Building.objects.order_by("pk").values_list("pk", "name"))
    return units, holders, owners, buildings


def the_existing_six(**changes):
    """The factory community's six flats 101-106, owned by 业主1-业主6, as file rows."""
    rows = [row(str(100 + i), f"业主{i}", floor="") for i in range(1, 7)]
    for index, new in changes.items():
        rows[int(index)] = new
    return rows


def upload(client, community, data, name="register.xlsx", **extra):
    file = SimpleUploadedFile(name, data, content_type=register_io.XLSX_TYPE)
    return client.post(
        reverse("register_import", args=[community.pk]), {"file": file, **extra}, follow=True
    )


def apply_from(client, community, response):
    html = response.text
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', html).group(1)
    create = re.search(r'name="create_buildings" value="([^"]*)"', html)
    data = {"token": token, "fingerprint": fingerprint}
    if create and create.group(1) == "True":
        data["create_buildings"] = "True"
    return client.post(reverse("register_import", args=[community.pk]), data, follow=True)


# --------------------------------------------------------------------------- the page


def test_a_community_worker_previews_then_applies_a_register(client, community_worker, community):
    client.force_login(community_worker)
    data = xlsx(the_existing_six() + [row("201", "张三", "95.5", id=ID_ZHANG, phone="13900000001")])
    preview = upload(client, community, data)
    assert preview.status_code == 200
    assert "1 个新房屋" in preview.text
    assert "6 个房屋不变" in preview.text
    assert not Unit.objects.filter(number="201").exists()

    applied = apply_from(client, community, preview)
    assert "业主名册已导入" in applied.text
    unit = Unit.objects.get(number="201")
    assert unit.area == Decimal("95.50")
    holder = unit.ownerships.get().holder
    assert holder.phone == "+8613900000001"
    assert ID_ZHANG not in (holder.id_masked + holder.id_digest)
    assert holder.id_masked == "1101**********1234"
    entry = AuditEntry.objects.get(verb="registry.import")
    assert entry.data["created"] == 1
    assert entry.data["unchanged"] == 6
    assert entry.actor == community_worker


def test_the_import_page_answers_htmx_with_the_fragment_only(client, community_worker, community):
    client.force_login(community_worker)
    file = SimpleUploadedFile("r.xlsx", xlsx(the_existing_six()), content_type="application/zip")
    response = client.post(
        reverse("register_import", args=[community.pk]), {"file": file}, HTTP_HX_REQUEST="true"
    )
    assert response.text.lstrip().startswith('<div id="importer">')
    assert "HX-Request" in response["Vary"]


def test_the_community_page_links_to_import_and_export_for_workers(
    client, community_worker, community
):
    client.force_login(community_worker)
    html = client.get(reverse("community_detail", args=[community.pk])).text
    assert reverse("register_import", args=[community.pk]) in html
    assert reverse("register_export", args=[community.pk]) in html


def test_the_chair_may_export_but_not_import(client, chair, community):
    client.force_login(chair)
    html = client.get(reverse("community_detail", args=[community.pk])).text
    assert reverse("register_import", args=[community.pk]) not in html
    assert reverse("register_export", args=[community.pk]) in html
    assert client.get(reverse("register_import", args=[community.pk])).status_code == 403
    assert client.get(reverse("register_export", args=[community.pk])).status_code == 200


@pytest.mark.parametrize("name", ["register_import", "register_template", "register_export"])
def test_outsiders_get_404_and_residents_403(client, outsider, resident, community, name):
    url = reverse(name, args=[community.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(resident)
    assert client.get(url).status_code == 403


def test_an_observer_may_not_export_the_register(client, observer, community):
    client.force_login(observer)
    assert client.get(reverse("register_export", args=[community.pk])).status_code == 403


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("register_import", "put"),
        ("register_import", "delete"),
        ("register_template", "post"),
        ("register_export", "post"),
    ],
)
def test_wrong_methods_get_405(client, community_worker, community, name, method):
    client.force_login(community_worker)
    response = getattr(client, method)(reverse(name, args=[community.pk]))
    assert response.status_code == 405


def test_anonymous_visitors_are_sent_to_log_in(client, community):
    response = client.get(reverse("register_import", args=[community.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --------------------------------------------------------------------------- row errors


def test_a_file_with_bad_rows_lists_each_problem_and_changes_nothing(
    client, community_worker, community
):
    client.force_login(community_worker)
    before = current_register(community)
    rows = the_existing_six() + [
        row("301", "甲", area="八十"),  # bad area
        row("302", "乙", area=-5),  # bad area
        row("101", "业主1", floor=""),  # duplicate unit (same holder as row 2)
        row("303", "丙", building="9号楼"),  # unknown building
        row("304", ""),  # missing name
        row("305", "丁", estate="不存在小区"),  # unknown estate
        row("306", "戊", area="80.123"),
    ]
    response = upload(client, community, xlsx(rows))
    assert current_register(community) == before
    html = response.text
    assert "7 个问题：未作任何更改" in html
    assert "面积有误" in html
    assert "重复房屋" in html
    assert "未知楼栋" in html
    assert "缺少姓名" in html
    assert "未知小区" in html
    # Row numbers are spreadsheet rows (the header is row 1) and columns carry the heading.
    assert re.search(
        r'<strong>第 8 行</strong> · <span class="register-column">F 建筑面积\(㎡\)', html
    )
    assert re.search(r'<strong>第 11 行</strong> · <span class="register-column">B 楼栋', html)
    assert 'name="token"' not in html
    assert not AuditEntry.objects.filter(verb="registry.import").exists()


def test_row_errors_are_in_english_for_english_users(client, community_worker, community):
    community_worker.language = "en"
    community_worker.save()
    client.force_login(community_worker)
    response = upload(client, community, xlsx([row("101", "业主1", area="abc")]))
    assert "Bad area" in response.text
    assert "1 problem found: nothing was changed" in response.text


def test_english_headings_and_words_are_accepted(community):
    headers = [c.en for c in register_io.COLUMNS]
    data = xlsx([row("201", "Li", basis="surveyed", kind="shop", holder_kind="organisation")],
                headers=headers)  # fmt: skip
    plan = register_io.import_register(community, data)
    unit = Unit.objects.get(number="201")
    assert (unit.area_basis, unit.kind) == ("surveyed", "shop")
    assert unit.ownerships.get().holder.kind == "organisation"
    assert plan.counts()["created"] == 1


def test_a_missing_column_is_named(community):
    with pytest.raises(register_io.RegisterFileError, match="建筑面积"):
        register_io.read_register(xlsx([["x"]], headers=["小区", "楼栋", "房号", "业主姓名"]))


def test_an_import_by_the_service_with_errors_raises_and_changes_nothing(community):
    before = current_register(community)
    with pytest.raises(register_io.RegisterRejected) as rejected:
        register_io.import_register(community, xlsx([row("201", "甲"), row("202", "")]))
    assert [(e.row, e.column) for e in rejected.value.plan.errors] == [(3, "I 业主姓名")]
    assert current_register(community) == before


def test_the_service_rechecks_who_may_import(community, resident, community_worker):
    from django.core.exceptions import PermissionDenied

    data = xlsx([row("201", "甲")])
    with pytest.raises(PermissionDenied):
        register_io.import_register(community, data, by=resident)
    assert not Unit.objects.filter(number="201").exists()
    register_io.import_register(community, data, by=community_worker)
    assert Unit.objects.filter(number="201").exists()


# --------------------------------------------------------------------------- idempotence, diffs


def test_reimporting_the_same_file_changes_nothing(community):
    data = xlsx(the_existing_six() + [row("201", "张三", id=ID_ZHANG)])
    register_io.import_register(community, data)
    after_first = current_register(community)
    plan = register_io.import_register(community, data)
    assert current_register(community) == after_first
    assert not plan.has_changes
    assert plan.counts()["unchanged"] == 7


def test_the_same_file_shows_nothing_to_change(client, community_worker, community):
    client.force_login(community_worker)
    response = upload(client, community, xlsx(the_existing_six()))
    assert "无需更改" in response.text
    assert 'name="token"' not in response.text


def test_a_changed_file_updates_in_place_and_reports_the_changes(
    client, community_worker, community
):
    client.force_login(community_worker)
    unit_ids = set(Unit.objects.values_list("pk", flat=True))
    rows = the_existing_six(
        **{"0": row("101", "业主1", area="82.50", floor=""), "1": row("102", "新业主", floor="")}
    )
    preview = upload(client, community, xlsx(rows))
    assert "2 个变更房屋" in preview.text
    assert "80.00" in preview.text and "82.50" in preview.text
    assert "业主2" in preview.text and "新业主" in preview.text
    apply_from(client, community, preview)
    assert set(Unit.objects.values_list("pk", flat=True)) == unit_ids
    assert Unit.objects.get(number="101").area == Decimal("82.50")
    assert Ownership.objects.get(unit__number="102").holder.name == "新业主"
    assert AuditEntry.objects.get(verb="registry.import").data["updated"] == 2


def test_units_missing_from_the_file_are_reported_and_kept(community):
    parsed = register_io.read_register(xlsx(the_existing_six()[:4]))
    plan = register_io.plan_register_import(community, parsed)
    assert plan.not_in_file == ["测试社区小区 1号楼 105", "测试社区小区 1号楼 106"]
    register_io.import_register(community, xlsx(the_existing_six()[:4]))
    assert Unit.objects.filter(number__in=["105", "106"]).count() == 2


def test_holders_are_matched_by_identity_number_and_renamed(community):
    register_io.import_register(community, xlsx([row("201", "张三", id=ID_ZHANG)]))
    holder = Holder.objects.get(name="张三")
    plan = register_io.import_register(community, xlsx([row("201", "张叁", id=ID_ZHANG)]))
    holder.refresh_from_db()
    assert holder.name == "张叁"
    assert plan.counts()["holders_updated"] == 1
    assert plan.counts()["holders_created"] == 0


def test_holders_without_an_id_are_matched_by_name_and_phone(community):
    register_io.import_register(
        community, xlsx([row("201", "李四", phone="13900000002"), row("202", "李四", phone="")])
    )
    register_io.import_register(community, xlsx([row("203", "李四", phone="139 0000 0002")]))
    holder_ids = set(Ownership.objects.filter(unit__number__in=["201", "203"]).values_list(
        "holder_id", flat=True
    ))  # fmt: skip
    assert len(holder_ids) == 1
    assert Holder.objects.filter(name="李四").count() == 2


def test_a_co_owned_unit_names_exactly_one_voter(community):
    ok = [row("201", "甲", share="0.5", voter="是"), row("201", "乙", share="50%", voter="否")]
    register_io.import_register(community, xlsx(ok))
    owners = Ownership.objects.filter(unit__number="201").order_by("holder__name")
    assert [(o.holder.name, o.share, o.is_designated_voter) for o in owners] == [
        ("乙", Decimal("0.5000"), False),
        ("甲", Decimal("0.5000"), True),
    ]
    none = [row("202", "甲"), row("202", "乙")]
    two = [row("203", "甲", voter="是"), row("203", "乙", voter="是")]
    for rows in (none, two):
        with pytest.raises(register_io.RegisterRejected) as rejected:
            register_io.import_register(community, xlsx(rows))
        assert "表决人" in rejected.value.plan.errors[0].message


def test_moving_the_designated_voter_between_co_owners_is_applied(community):
    register_io.import_register(community, xlsx([row("201", "甲", voter="是"), row("201", "乙")]))
    register_io.import_register(community, xlsx([row("201", "甲"), row("201", "乙", voter="是")]))
    voter = Ownership.objects.get(unit__number="201", is_designated_voter=True)
    assert voter.holder.name == "乙"


def test_shares_must_add_up_to_one(community):
    rows = [row("201", "甲", share="0.5", voter="是"), row("201", "乙", share="0.3")]
    with pytest.raises(register_io.RegisterRejected) as rejected:
        register_io.import_register(community, xlsx(rows))
    assert "份额" in rejected.value.plan.errors[0].message


def test_a_unit_given_two_areas_is_a_duplicate(community):
    rows = [row("201", "甲", area=80, voter="是"), row("201", "乙", area=81)]
    with pytest.raises(register_io.RegisterRejected) as rejected:
        register_io.import_register(community, xlsx(rows))
    assert "重复房屋" in rejected.value.plan.errors[0].message


def test_buildings_are_created_only_when_asked(client, community_worker, community):
    data = xlsx([row("101", "甲", building="2号楼")])
    with pytest.raises(register_io.RegisterRejected):
        register_io.import_register(community, data)
    client.force_login(community_worker)
    preview = upload(client, community, data, create_buildings="on")
    assert "待新建楼栋：1" in preview.text
    apply_from(client, community, preview)
    assert Unit.objects.get(building__name="2号楼", number="101").area == Decimal("80.00")


def test_the_import_uses_the_same_number_of_queries_for_more_rows(
    community, django_assert_max_num_queries
):
    for count in (5, 60):
        rows = [row(str(1000 + count + i), f"人{count}-{i}", phone="") for i in range(count)]
        with django_assert_max_num_queries(25):
            register_io.import_register(community, xlsx(rows))


# --------------------------------------------------------------------------- stale previews


def test_a_stale_token_says_so_and_changes_nothing(client, community_worker, community):
    client.force_login(community_worker)
    preview = upload(client, community, xlsx(the_existing_six() + [row("201", "甲")]))
    first = apply_from(client, community, preview)
    assert "业主名册已导入" in first.text
    before = current_register(community)
    again = apply_from(client, community, preview)
    assert "预览已过期或已经导入" in again.text
    assert current_register(community) == before
    forged = client.post(
        reverse("register_import", args=[community.pk]),
        {"token": "../../etc/passwd", "fingerprint": "x"},
    )
    assert "预览" in forged.text and forged.status_code == 200


def test_a_register_changed_since_the_preview_is_not_applied(client, community_worker, community):
    client.force_login(community_worker)
    preview = upload(client, community, xlsx(the_existing_six() + [row("201", "甲")]))
    Unit.objects.filter(number="101").update(area=Decimal("99.00"))  # someone else, meanwhile
    before = current_register(community)
    response = apply_from(client, community, preview)
    assert "预览之后业主名册有变化" in response.text
    assert current_register(community) == before
    # The fresh preview can be applied.
    apply_from(client, community, response)
    assert Unit.objects.get(number="101").area == Decimal("80.00")


def test_another_workers_token_is_not_accepted(client, community_worker, community):
    from deliberation.models import Role
    from tests.factories import add_member

    client.force_login(community_worker)
    preview = upload(client, community, xlsx(the_existing_six() + [row("201", "甲")]))
    client.force_login(add_member(community, Role.COMMUNITY_WORKER, name="另一位"))
    response = apply_from(client, community, preview)
    assert "预览已过期或已经导入" in response.text
    assert not Unit.objects.filter(number="201").exists()


# --------------------------------------------------------------------------- bad uploads


def test_a_file_that_is_not_xlsx_is_refused_by_content(client, community_worker, community):
    client.force_login(community_worker)
    before = current_register(community)
    response = upload(client, community, b"name,area\n101,80\n", name="register.xlsx")
    assert "不是 Excel .xlsx 文件" in response.text
    assert current_register(community) == before


def test_a_zip_that_is_not_a_workbook_is_refused(client, community_worker, community):
    client.force_login(community_worker)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    response = upload(client, community, buffer.getvalue())
    assert "不是 Excel .xlsx 文件" in response.text


def test_a_corrupt_xlsx_is_refused_with_a_clear_message(client, community_worker, community):
    client.force_login(community_worker)
    before = current_register(community)
    good = io.BytesIO(xlsx(the_existing_six()))
    broken = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = content[: len(content) // 2]  # cut off mid-XML
            target.writestr(item, content)
    response = upload(client, community, broken.getvalue())
    assert "Excel 文件已损坏" in response.text
    assert current_register(community) == before


def test_a_truncated_download_is_refused(client, community_worker, community):
    client.force_login(community_worker)
    data = xlsx(the_existing_six())
    response = upload(client, community, data[: len(data) // 2])
    assert "不是 Excel .xlsx 文件" in response.text


def test_a_50_mb_file_is_refused_before_it_is_parsed(
    client, community_worker, community, monkeypatch
):
    client.force_login(community_worker)
    before = current_register(community)

    def never(*args, **kwargs):
        raise AssertionError("a file over the limit must not be parsed")

    monkeypatch.setattr(register_io, "read_register", never)
    response = upload(client, community, b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024))
    assert "最大可接受 10 MB" in response.text
    assert current_register(community) == before


def test_a_zip_bomb_is_refused(community, settings):
    settings.REGISTER_MAX_BYTES = 100_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 10_000_000)
    with pytest.raises(register_io.RegisterFileError):
        register_io.read_register(buffer.getvalue())


def test_formulas_in_cells_are_refused_and_never_evaluated(client, community_worker, community):
    client.force_login(community_worker)
    before = current_register(community)
    rows = the_existing_six(
        **{
            "0": row("101", '=HYPERLINK("http://evil.example","点我")'),
            "1": row("102", "业主2", area="=40+40"),
            "2": row("103", "+cmd|' /C calc'!A0"),
            "3": row("104", "@SUM(1+1)"),
            "4": row("-105", "业主5"),
        }
    )
    response = upload(client, community, xlsx(rows))
    assert current_register(community) == before
    assert "5 个问题" in response.text
    assert "含有公式" in response.text
    assert "不能以 =、+、- 或 @ 开头" in response.text
    # Shown escaped, as text.
    assert '<span class="register-column">I 业主姓名</span>' in response.text
    assert 'HYPERLINK("http' not in response.text


# --------------------------------------------------------------------------- export, template


def test_export_never_writes_formulas(client, community_worker, community):
    Holder.objects.filter(name="业主1").update(name='=HYPERLINK("http://evil.example")')
    Holder.objects.filter(name="业主2").update(name="+1+1", phone="@SUM(A1)")
    client.force_login(community_worker)
    response = client.get(reverse("register_export", args=[community.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == register_io.XLSX_TYPE
    assert "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [c for line in workbook.active.iter_rows() for c in line]
    dangerous = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value for c in dangerous} >= {'=HYPERLINK("http://evil.example")', "+1+1"}
    assert all(c.data_type == "s" and c.quotePrefix for c in dangerous)
    assert AuditEntry.objects.filter(verb="registry.export", actor=community_worker).exists()


def test_an_export_imports_back_unchanged(community):
    rows = [
        row("201", "张三", id=ID_ZHANG, phone="13900000001", share="0.5", voter="是"),
        row("201", "李四", share="0.5"),
        row("202", "王五", kind="车位", basis="测绘"),
    ]
    register_io.import_register(community, xlsx(rows))
    before = current_register(community)
    exported = register_io.export_register(community)
    plan = register_io.import_register(community, exported)
    assert plan.ok and not plan.has_changes, plan.errors
    assert current_register(community) == before
    english = register_io.export_register(community, language="en")
    assert not register_io.import_register(community, english).has_changes


def test_the_template_has_the_headings_and_imports_cleanly(client, community_worker, community):
    client.force_login(community_worker)
    response = client.get(reverse("register_template", args=[community.pk]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet["A2"].value == "测试社区小区"
    plan = register_io.plan_register_import(community, register_io.read_register(response.content))
    assert plan.ok, plan.errors
    assert plan.counts()["created"] == 2


# --------------------------------------------------------------------------- commands


def test_the_import_command_previews_then_applies(community, tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(xlsx(the_existing_six() + [row("201", "甲")]))
    out = io.StringIO()
    call_command("import_register", community.pk, str(path), stdout=out)
    assert "preview" in out.getvalue() and "created=1" in out.getvalue()
    assert not Unit.objects.filter(number="201").exists()
    call_command("import_register", community.pk, str(path), "--apply", stdout=out)
    assert Unit.objects.filter(number="201").exists()
    assert AuditEntry.objects.get(verb="registry.import").data["file"] == "register.xlsx"


def test_the_import_command_reports_errors_and_changes_nothing(community, tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(xlsx([row("201", "")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_register", community.pk, str(path), "--apply", stderr=err)
    assert "row 2" in err.getvalue()
    assert not Unit.objects.filter(number="201").exists()


def test_the_export_command_writes_the_register(community, tmp_path):
    path = tmp_path / "out.xlsx"
    call_command("export_register", community.pk, str(path), stdout=io.StringIO())
    sheet = load_workbook(path).worksheets[0]
    assert sheet.max_row == 7


# --------------------------------------------------------------------------- admin


def test_operators_find_a_holder_in_the_admin_by_full_identity_number(admin_client, community):
    register_io.import_register(community, xlsx([row("201", "张三", id=ID_ZHANG)]))
    response = admin_client.get(reverse("admin:deliberation_holder_changelist"), {"q": ID_ZHANG})
    assert response.status_code == 200
    assert "张三" in response.text
    assert "业主1" not in response.text


def test_operators_find_units_in_the_admin_by_holder_name(admin_client, community):
    response = admin_client.get(reverse("admin:deliberation_unit_changelist"), {"q": "业主3"})
    assert response.status_code == 200
    assert "1号楼-103" in response.text
    assert "1号楼-104" not in response.text
    holder = Holder.objects.get(name="业主3")
    page = admin_client.get(reverse("admin:deliberation_holder_change", args=[holder.pk]))
    assert page.status_code == 200
    assert "ownerships-TOTAL_FORMS" in page.text
