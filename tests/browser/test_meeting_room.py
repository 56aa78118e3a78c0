"""The live room in real browsers: chair, participant and public display at the same time."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.asgi_server import asgi_server  # noqa: F401 - fixture
from tests.browser.room_pages import open_page  # noqa: F401 - fixture
from tests.meeting_factories import live_consultation, make_meeting


@pytest.fixture
def meeting(community, chair, community_worker, owner, resident):
    return live_consultation(community, chair, community_worker, owner, resident)


def _room(meeting, display=False):
    return f"/meetings/{meeting.pk}/room/" + ("?view=display" if display else "")


def test_the_chair_moves_on_and_the_phone_and_the_display_follow_without_reload(
    asgi_server,  # noqa: F811
    open_page,  # noqa: F811
    meeting,
    chair,
    owner,
    resident,
):
    console = open_page(asgi_server, chair, _room(meeting))
    phone = open_page(asgi_server, owner, _room(meeting))
    display = open_page(asgi_server, resident, _room(meeting, display=True))
    expect(display.locator(".room-display")).to_be_visible()
    for page in (console, phone, display):
        page.evaluate("window.sameDocument = true")  # gone if the page reloads
    console.get_by_role("button", name="下一项").click()
    for page in (console, phone, display):
        expect(page.locator("#room-status")).to_contain_text("1. 电梯维修方案")
    console.get_by_role("button", name="下一项").click()
    for page in (phone, display):
        expect(page.locator("#room-status")).to_contain_text("2. 费用分摊")
    expect(phone.locator("#room-agenda li").first).to_contain_text("已完成")
    assert all(page.evaluate("window.sameDocument === true") for page in (console, phone, display))


def test_a_raised_hand_reaches_the_chair_who_gives_the_floor(
    asgi_server,  # noqa: F811
    open_page,  # noqa: F811
    meeting,
    chair,
    owner,
):
    console = open_page(asgi_server, chair, _room(meeting))
    phone = open_page(asgi_server, owner, _room(meeting))
    console.get_by_role("button", name="下一项").click()
    expect(phone.locator("#room-status")).to_contain_text("电梯维修方案")
    phone.get_by_role("button", name="举手发言").click()
    grant = console.get_by_role("button", name="请 李明 发言")
    expect(grant).to_be_visible()
    grant.click()
    expect(phone.locator("#room-notice")).to_contain_text("轮到您发言了")
    expect(phone.locator("#room-queue .countdown")).to_have_text(re.compile(r"^[0-9]+:[0-9]{2}$"))
    expect(console.locator("#room-queue .room-speaking")).to_contain_text("李明")


def test_a_live_vote_from_a_phone(
    asgi_server,  # noqa: F811
    open_page,  # noqa: F811
    meeting,
    chair,
    owner,
    resident,
):
    console = open_page(asgi_server, chair, _room(meeting))
    phone = open_page(asgi_server, owner, _room(meeting))
    other = open_page(asgi_server, resident, _room(meeting))
    console.get_by_role("button", name="下一项").click()
    console.get_by_label("表决事项").fill("同意先修2号楼电梯吗？")
    console.get_by_role("button", name="发起表决").click()
    phone.get_by_role("button", name="同意").click()
    expect(phone.locator("#room-notice")).to_contain_text("已记录您的表决：同意")
    other.get_by_role("button", name="同意").click()
    expect(console.locator("#room-vote")).to_contain_text("已有 2 人表决")
    console.get_by_role("button", name="结束表决并计票").click()
    for page in (phone, other, console):
        expect(page.locator("#room-vote .room-result")).to_contain_text(
            "举手表决，不具约束力：参加表决者过半数同意"
        )
    expect(phone.locator("#room-vote")).to_contain_text("同意 2 · 反对 0 · 弃权 0 · 到会 2")
    expect(phone.locator("#room-vote .room-result")).not_to_contain_text("通过")
    expect(console.locator("#room-minutes")).to_contain_text("（不具约束力）")


def test_each_of_my_buttons_shows_its_done_state_and_keeps_it_after_a_reload(
    asgi_server,  # noqa: F811
    open_page,  # noqa: F811
    community,
    chair,
    community_worker,
    owner,
    resident,
):
    meeting = make_meeting(
        community,
        chair,
        secretary=community_worker,
        participants=[owner, resident],
        checked_in=False,
    )
    console = open_page(asgi_server, chair, _room(meeting))
    phone = open_page(asgi_server, owner, _room(meeting))
    other = open_page(asgi_server, resident, _room(meeting))

    phone.get_by_role("button", name="我要签到").click()
    expect(phone.locator("#room-attendance")).to_contain_text("您已签到。")
    expect(phone.get_by_role("button", name="我要签到")).to_have_count(0)
    expect(other.get_by_role("button", name="我要签到")).to_be_visible()  # not theirs
    other.get_by_role("button", name="我要签到").click()

    console.get_by_role("button", name="下一项").click()
    phone.get_by_role("button", name="举手发言").click()
    expect(phone.locator("#room-queue")).to_contain_text("您已举手，请等待主持人安排发言。")
    expect(phone.get_by_role("button", name="举手发言")).to_be_hidden()
    expect(other.get_by_role("button", name="举手发言")).to_be_visible()
    phone.get_by_role("button", name="撤回举手").click()
    expect(phone.get_by_role("button", name="举手发言")).to_be_visible()

    console.get_by_label("表决事项").fill("同意先修2号楼电梯吗？")
    console.get_by_role("button", name="发起表决").click()
    phone.get_by_role("button", name="同意").click()
    expect(phone.locator("#room-vote")).to_contain_text("您已表决。表决结束后公布计票结果。")
    expect(phone.locator("#room-vote").get_by_role("button", name="反对")).to_be_hidden()
    expect(other.locator("#room-vote").get_by_role("button", name="反对")).to_be_visible()

    phone.reload()
    expect(phone.locator("[data-room][data-connected=true]")).to_be_attached()
    expect(phone.locator("#room-attendance")).to_contain_text("您已签到。")
    expect(phone.locator("#room-vote").get_by_role("button", name="同意")).to_be_hidden()
    expect(phone.get_by_role("button", name="举手发言")).to_be_visible()


def test_the_chair_and_the_secretary_each_see_their_own_controls(
    asgi_server,  # noqa: F811
    open_page,  # noqa: F811
    meeting,
    chair,
    community_worker,
):
    console = open_page(asgi_server, chair, _room(meeting))
    desk = open_page(asgi_server, community_worker, _room(meeting))
    expect(console.locator(".room-views")).to_contain_text("主持人控制台")
    expect(desk.locator(".room-views")).to_contain_text("记录人控制台")

    expect(console.get_by_role("button", name="下一项")).to_be_visible()
    expect(console.get_by_role("button", name="写入纪要")).to_be_hidden()
    expect(desk.get_by_role("button", name="写入纪要")).to_be_visible()
    expect(desk.get_by_role("button", name="下一项")).to_be_hidden()

    console.get_by_role("button", name="下一项").click()  # every section is sent again
    expect(console.get_by_role("button", name="发起表决")).to_be_visible()
    expect(desk.locator("#room-status")).to_contain_text("电梯维修方案")
    expect(desk.get_by_role("button", name="发起表决")).to_be_hidden()
    expect(console.get_by_role("button", name="写入纪要")).to_be_hidden()
    desk.get_by_label("补充记录（记录人）").fill("李明建议先修2号楼。")
    desk.get_by_role("button", name="写入纪要").click()
    expect(console.locator("#room-minutes")).to_contain_text("李明建议先修2号楼。")


def test_a_room_command_that_cannot_be_done_says_why_on_the_phone(
    asgi_server,  # noqa: F811
    open_page,  # noqa: F811
    community,
    chair,
    community_worker,
    owner,
):
    meeting = make_meeting(
        community, chair, secretary=community_worker, participants=[owner], checked_in=False
    )
    console = open_page(asgi_server, chair, _room(meeting))
    phone = open_page(asgi_server, owner, _room(meeting))
    console.get_by_role("button", name="下一项").click()
    phone.get_by_role("button", name="举手发言").click()
    expect(phone.locator("#room-notice.bad")).to_have_text("请先签到再申请发言。")
    console.get_by_label("表决事项").fill("   ")  # passes the browser's own check
    console.get_by_role("button", name="发起表决").click()
    expect(console.locator("#room-notice.bad")).to_contain_text("请检查：")
