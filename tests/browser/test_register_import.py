"""A community worker imports the owners' register on a phone: a bad row first, then fixed."""

from playwright.sync_api import expect

from deliberation.models import AuditEntry, Unit
from tests.browser.conftest import log_in
from tests.integration.test_register_import import row, the_existing_six, xlsx


def test_a_worker_sees_the_bad_row_fixes_it_and_imports(
    page, live_server, community_worker, community, tmp_path
):
    bad = tmp_path / "名册.xlsx"
    bad.write_bytes(xlsx(the_existing_six() + [row("201", "张三", area="八十九")]))
    good = tmp_path / "名册-改正.xlsx"
    good.write_bytes(xlsx(the_existing_six() + [row("201", "张三", area="89.5")]))

    log_in(page, live_server.url, community_worker)
    page.goto(f"{live_server.url}/c/{community.pk}/")
    page.get_by_role("link", name="导入名册").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入业主名册")

    page.get_by_label("名册文件（.xlsx）").set_input_files(str(bad))
    page.get_by_role("button", name="检查文件").click()
    errors = page.locator("[data-error-summary]")
    expect(errors).to_contain_text("1 个问题：未作任何更改")
    expect(errors.get_by_role("listitem")).to_contain_text("第 8 行 · F 建筑面积(㎡)")
    expect(errors).to_contain_text("面积有误“八十九”")
    expect(errors).to_be_focused()
    assert not Unit.objects.filter(number="201").exists()

    page.get_by_label("名册文件（.xlsx）").set_input_files(str(good))
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_role("heading", name="预览：尚未作任何更改")).to_be_visible()
    expect(page.locator(".register-counts")).to_contain_text("1 个新房屋")
    expect(page.locator(".register-counts")).to_contain_text("6 个房屋不变")
    page.get_by_role("button", name="确认导入").click()

    expect(page.get_by_role("status")).to_contain_text("业主名册已导入：新增 1 个房屋")
    assert Unit.objects.get(number="201").area == 89.5
    assert AuditEntry.objects.filter(verb="registry.import").count() == 1


def test_the_import_works_without_javascript(browser, live_server, community_worker, tmp_path):
    from tests.browser.conftest import PHONE

    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    good = tmp_path / "register.xlsx"
    good.write_bytes(xlsx(the_existing_six() + [row("202", "李四")]))
    log_in(page, live_server.url, community_worker)
    community = community_worker.memberships.get().community
    page.goto(f"{live_server.url}/c/{community.pk}/registry/import/")
    page.get_by_label("名册文件（.xlsx）").set_input_files(str(good))
    page.get_by_role("button", name="检查文件").click()
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("status")).to_contain_text("业主名册已导入")
    assert Unit.objects.filter(number="202").exists()
    context.close()
