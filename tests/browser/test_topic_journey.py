"""A matter from a phone: propose, co-sign to the threshold, triage, comment, decide, notice."""

from playwright.sync_api import expect

from deliberation.models import Phase, Topic
from tests.browser.conftest import log_in
from tests.topic_factories import set_threshold


def log_out(page):
    page.context.clear_cookies()


def test_a_matter_goes_from_proposal_to_a_posted_decision(
    page, live_server, community, resident, owner, committee_member, community_worker, chair
):
    set_threshold(community, 2)
    url = live_server.url

    # 提: the resident raises the matter and submits it
    log_in(page, url, resident)
    page.goto(f"{url}/c/{community.pk}/topics/")
    page.get_by_role("link", name="我要提议").click()
    page.get_by_label("标题").fill("3号楼电梯坏了")
    page.get_by_label("详细说明").fill("电梯停了三天，老人上下楼困难。<script>alert(1)</script>")
    page.get_by_label("类别").select_option("facilities")
    page.get_by_role("button", name="提交并征集附议").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("3号楼电梯坏了")
    expect(page.get_by_text("议题已提交")).to_be_visible()
    expect(page.get_by_text("<script>alert(1)</script>", exact=False)).to_be_visible()
    topic = Topic.objects.get()
    log_out(page)

    # 附议: two owners co-sign; the second reaches the threshold
    for supporter in (owner, committee_member):
        log_in(page, url, supporter)
        page.goto(f"{url}/topics/{topic.pk}/")
        page.get_by_role("button", name="附议").click()
        expect(page.get_by_text("您已附议")).to_be_visible()
        log_out(page)
    topic.refresh_from_db()
    assert topic.phase == Phase.TRIAGE

    # 受理: the community worker accepts it
    log_in(page, url, community_worker)
    page.goto(f"{url}/topics/{topic.pk}/")
    page.get_by_role("link", name="受理或不予受理").click()
    page.get_by_label("作为社区事务受理").check()
    page.get_by_role("button", name="记录并公示").click()
    expect(page.get_by_text("处理结果已记录并公示")).to_be_visible()
    log_out(page)

    # 议: the owner comments
    log_in(page, url, owner)
    page.goto(f"{url}/topics/{topic.pk}/")
    page.get_by_label("您的意见").fill("建议尽快更换主板。")
    page.get_by_label("支持").first.check()
    page.get_by_role("button", name="发表评论").click()
    expect(page.locator("#comments").get_by_text("建议尽快更换主板。")).to_be_visible()
    log_out(page)

    # 定: the Party secretary records the decision, which goes to the board
    log_in(page, url, chair)
    page.goto(f"{url}/topics/{topic.pk}/")
    page.get_by_role("link", name="记录决定").click()
    page.get_by_label("决定内容").fill("由物业在两周内更换电梯主板。")
    page.get_by_label("决定机构").select_option("residents_meeting")
    page.get_by_role("button", name="记录并公示").click()
    expect(page.get_by_text("决定已记录")).to_be_visible()
    page.get_by_role("link", name="查看公示").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("决定公示：3号楼电梯坏了")
    expect(page.get_by_text("王某")).to_be_visible()
    page.get_by_role("link", name="公示栏").first.click()
    expect(page.get_by_role("link", name="决定公示：3号楼电梯坏了")).to_be_visible()


def test_a_grid_worker_files_a_phoned_in_matter(
    page, live_server, community, resident, grid_worker
):
    log_in(page, live_server.url, grid_worker)
    page.goto(f"{live_server.url}/c/{community.pk}/topics/")
    page.get_by_role("link", name="代居民登记").click()
    page.get_by_label("居民").select_option(label=resident.display_name)
    page.get_by_label("反映渠道").select_option("phone")
    page.get_by_label("标题").fill("小区路灯不亮")
    page.get_by_label("详细说明").fill("2号楼前路灯坏了一周。")
    page.get_by_label("类别").select_option("safety")
    page.get_by_role("button", name="存为草稿").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    topic = Topic.objects.get()
    assert topic.proposer == resident and topic.filed_by == grid_worker


def test_an_empty_title_shows_the_error_summary(page, live_server, community, resident):
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/c/{community.pk}/topics/new/")
    page.get_by_label("详细说明").fill("没有标题")
    page.locator("#id_title").evaluate("el => el.removeAttribute('required')")
    page.get_by_role("button", name="提交并征集附议").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert not Topic.objects.exists()
