"""点单 → 下单 → 接单 from a phone: a resident orders a unit's service, the community
dispatches it, the unit takes it on and finishes it, and the resident follows and rates it."""

from playwright.sync_api import expect

from deliberation.models import DispatchState, PartnerUnit, Phase, Rating, TaskDispatch, Topic
from deliberation.services import execution as svc
from tests.browser.conftest import log_in


def log_out(page):
    page.context.clear_cookies()


def test_a_resident_orders_a_service_that_a_unit_carries_out(
    page, live_server, community, resident, community_worker, partner
):
    url = live_server.url
    clinic = PartnerUnit.objects.create(community=community, name="社区卫生服务站")
    clinic.contacts.add(partner)
    svc.add_offering(clinic, by=partner, title="上门量血压", description="行动不便的老人")

    # 点单: the resident finds the unit's menu and orders from it
    log_in(page, url, resident)
    page.goto(f"{url}/c/{community.pk}/partners/")
    page.get_by_role("link", name="点单：上门量血压").click()
    expect(page.get_by_role("heading", name="上门量血压")).to_be_visible()
    page.get_by_role("button", name="提交点单").click()  # nothing said: refused, in place
    expect(page.locator("[data-error-summary]")).to_contain_text("请说明需要什么服务、什么时间")
    assert not Topic.objects.exists()
    page.get_by_label("需要什么服务、什么时间？").fill("老伴腿脚不便，下周一上午在家")
    page.get_by_label("地点（楼栋门牌或场所）").fill("3号楼2单元501")
    page.get_by_role("button", name="提交点单").click()
    expect(page.get_by_text("点单已提交，社区将转交社区卫生服务站。")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("上门量血压")
    expect(page.locator(".service-order")).to_contain_text("社区卫生服务站的“上门量血压”")
    expect(page.locator(".badge", has_text="待受理")).to_be_visible()
    topic = Topic.objects.get()
    log_out(page)

    # 下单: the community worker dispatches it to the unit
    log_in(page, url, community_worker)
    page.goto(f"{url}/topics/{topic.pk}/")
    page.get_by_role("link", name="受理或不予受理").click()
    expect(page.get_by_label("下单给社区卫生服务站")).to_be_checked()
    page.get_by_label("理由或说明").fill("请周一上午上门")
    page.get_by_role("button", name="记录并公示").click()
    expect(page.get_by_text("已下单给共建单位。")).to_be_visible()
    expect(page.get_by_text("已下单给社区卫生服务站，等待接单")).to_be_visible()
    log_out(page)

    # 接单: the unit's contact accepts, then reports it done
    log_in(page, url, partner)
    page.goto(f"{url}/c/{community.pk}/tasks/")
    page.get_by_role("link", name="上门量血压").first.click()
    expect(page.get_by_text("请周一上午上门")).to_be_visible()
    page.get_by_label("接单", exact=True).check()
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    assert TaskDispatch.objects.get().state == DispatchState.ACCEPTED
    page.get_by_label("办结依据：办理情况").fill("已上门测量，血压正常")
    page.get_by_role("button", name="标记办结").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    log_out(page)

    # The resident follows it under 我的事项 and rates it
    log_in(page, url, resident)
    page.goto(f"{url}/simple/matters/")
    page.get_by_role("link", name="上门量血压").click()
    expect(page.locator(".task-items")).to_contain_text("社区卫生服务站")
    page.get_by_role("link", name="评价办理结果").click()
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("谢谢，您的评价已记录。")).to_be_visible()
    topic.refresh_from_db()
    assert topic.phase == Phase.EVALUATING
    rating = Rating.objects.get()
    assert (rating.user, rating.level) == (resident, "satisfied")


def test_only_residents_and_owners_may_order(client, community, community_worker, partner):
    unit = PartnerUnit.objects.create(community=community, name="幸福里小学")
    offer = svc.add_offering(unit, by=community_worker, title="周末操场开放")
    client.force_login(partner)
    response = client.post(f"/offerings/{offer.pk}/order/", {"details": "想借操场"})
    assert response.status_code == 403
    assert not Topic.objects.exists()


def test_an_outsider_cannot_see_the_order_page(client, community, community_worker, outsider):
    unit = PartnerUnit.objects.create(community=community, name="幸福里小学")
    offer = svc.add_offering(unit, by=community_worker, title="周末操场开放")
    client.force_login(outsider)
    assert client.get(f"/offerings/{offer.pk}/order/").status_code == 404


def test_a_resident_raises_a_matter_in_simple_mode(page, live_server, community, resident):
    url = live_server.url
    log_in(page, url, resident)
    page.goto(f"{url}/simple/")
    page.get_by_role("link", name="我要提议").click()
    page.get_by_role("button", name="提交").click()  # empty: told what is missing
    expect(page.locator("[data-error-summary]")).to_be_visible()
    assert not Topic.objects.exists()
    page.get_by_label("用一句话说说是什么事").fill("3楼楼道灯坏了")
    page.get_by_label("详细说说").fill("晚上很黑，老人怕摔")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("谢谢，您的事项已提交，邻居们可以附议。")).to_be_visible()
    expect(page.get_by_role("link", name="3楼楼道灯坏了")).to_be_visible()
    topic = Topic.objects.get()
    assert (topic.proposer, topic.phase) == (resident, Phase.COLLECTING)
