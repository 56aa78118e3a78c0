"""The opinion map through its pages: statements, moderation, answers and the map, as people
see them (zh-Hans, the default language)."""

import io
import json
import re

import pytest
from django.urls import reverse

from deliberation.models import AuditEntry, Statement, StatementVote
from deliberation.services import opinions
from tests.topic_factories import decided, discussing, quick_residents

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(community, resident, community_worker):
    return discussing(community, resident, community_worker, title="小区停车怎么管")


def shown(topic, worker, text, author):
    statement = opinions.write_statement(topic, by=author, text=text)
    return opinions.moderate_statement(statement, by=worker, show=True)


def text_of(response):
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_statement_waits_for_the_worker_then_others_answer_it(
    client, topic, resident, owner, community_worker
):
    client.force_login(resident)
    response = client.post(
        reverse("statement_write", args=[topic.pk]), {"text": "  外来车辆应当收费  "}, follow=True
    )
    assert "社区工作者审核后" in text_of(response)
    assert "外来车辆应当收费 — 等待审核" in text_of(response)

    client.force_login(owner)
    page = text_of(client.get(reverse("opinions", args=[topic.pk])))
    assert "外来车辆应当收费" not in page  # not before moderation
    assert "还没有可以表态的意见" in page

    client.force_login(community_worker)
    page = text_of(client.get(reverse("opinions", args=[topic.pk])))
    assert "待审核的意见 外来车辆应当收费" in page
    statement = Statement.objects.get(topic=topic)
    response = client.post(
        reverse("statement_moderate", args=[topic.pk, statement.pk]),
        {"action": "show"},
        follow=True,
    )
    assert "这条意见已公开" in text_of(response)

    client.force_login(owner)
    page = text_of(client.get(reverse("opinions", args=[topic.pk])))
    assert "共 1 条意见，您已表态 0 条" in page
    assert "外来车辆应当收费 同意 不同意 跳过" in page
    response = client.post(
        reverse("statement_answer", args=[topic.pk, statement.pk]), {"vote": "agree"}, follow=True
    )
    page = text_of(response)
    assert "您已对所有意见表态" in page
    assert list(StatementVote.objects.values_list("participant", "vote")) == [(owner.pk, 1)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请填写您的意见。"),
        ("   ", "请填写您的意见。"),
        ("长" * 141, "意见最多 140 个字，您写了 141 个字。"),
    ],
)
def test_an_empty_or_over_long_statement_is_refused_in_place(
    client, topic, resident, text, message
):
    client.force_login(resident)
    response = client.post(reverse("statement_write", args=[topic.pk]), {"text": text})

    assert response.status_code == 400
    assert message in text_of(response)
    assert not Statement.objects.exists()
    if text.strip():  # what was typed is still in the box, to shorten rather than retype
        assert f"{text}</textarea>" in response.content.decode()


def test_a_statement_of_exactly_the_limit_is_accepted(client, topic, resident):
    client.force_login(resident)
    response = client.post(reverse("statement_write", args=[topic.pk]), {"text": "长" * 140})
    assert response.status_code == 302
    assert Statement.objects.get().text == "长" * 140


def test_answering_again_replaces_the_earlier_answer(
    client, topic, resident, owner, community_worker
):
    statement = shown(topic, community_worker, "晚上十点后禁止鸣笛", resident)
    client.force_login(owner)
    url = reverse("statement_answer", args=[topic.pk, statement.pk])
    client.post(url, {"vote": "agree"})
    response = client.post(url, {"vote": "disagree"}, follow=True)

    assert "您的表态已更改" in text_of(response)
    assert list(StatementVote.objects.values_list("participant", "vote")) == [(owner.pk, -1)]
    assert "晚上十点后禁止鸣笛 — 不同意" in text_of(response)


@pytest.mark.parametrize("vote", ["maybe", "", "1"])
def test_an_answer_other_than_agree_disagree_or_pass_is_refused(
    client, topic, resident, owner, community_worker, vote
):
    statement = shown(topic, community_worker, "垃圾分类点移到北门", resident)
    client.force_login(owner)
    response = client.post(
        reverse("statement_answer", args=[topic.pk, statement.pk]), {"vote": vote}, follow=True
    )
    assert "请选择同意、不同意或跳过" in text_of(response)
    assert not StatementVote.objects.exists()
    assert "垃圾分类点移到北门 同意 不同意 跳过" in text_of(response)  # still there to answer


def test_a_statement_waiting_for_moderation_cannot_be_answered(client, topic, resident, owner):
    statement = opinions.write_statement(topic, by=resident, text="增加快递柜")
    client.force_login(owner)
    response = client.post(
        reverse("statement_answer", args=[topic.pk, statement.pk]), {"vote": "agree"}, follow=True
    )
    assert "这条意见现在不能表态" in text_of(response)
    assert not StatementVote.objects.exists()


def test_hiding_needs_a_reason_is_audited_and_closes_the_statement(
    client, topic, resident, owner, community_worker
):
    statement = opinions.write_statement(topic, by=resident, text="某某人乱停车")
    client.force_login(community_worker)
    url = reverse("statement_moderate", args=[topic.pk, statement.pk])

    response = client.post(url, {"action": "hide", "reason": ""}, follow=True)
    assert "请填写隐藏这条意见的理由" in text_of(response)
    assert Statement.objects.get().state == "pending"

    response = client.post(url, {"action": "hide", "reason": "涉及个人隐私"}, follow=True)
    assert "这条意见已隐藏" in text_of(response)
    assert "某某人乱停车 — 理由：涉及个人隐私" in text_of(response)
    entry = AuditEntry.objects.get(verb="opinion.hide")
    assert entry.data == {"statement": statement.pk, "reason": "涉及个人隐私"}
    assert entry.actor_id == community_worker.pk

    client.force_login(owner)
    response = client.post(
        reverse("statement_answer", args=[topic.pk, statement.pk]), {"vote": "agree"}, follow=True
    )
    assert "这条意见现在不能表态" in text_of(response)
    assert not StatementVote.objects.exists()

    client.force_login(resident)  # the author sees why
    assert "某某人乱停车 — 已隐藏 理由：涉及个人隐私" in text_of(
        client.get(reverse("opinions", args=[topic.pk]))
    )


def test_an_answer_after_the_discussion_is_refused(
    client, community, resident, owner, community_worker, chair
):
    topic = decided(community, resident, community_worker, chair)
    statement = Statement.objects.create(topic=topic, author=resident, text="x", state="approved")
    client.force_login(owner)
    response = client.post(
        reverse("statement_answer", args=[topic.pk, statement.pk]), {"vote": "agree"}, follow=True
    )
    assert "只有在议题讨论期间才能对意见表态" in text_of(response)
    assert not StatementVote.objects.exists()


def test_a_statement_of_another_topic_is_not_found(
    client, community, topic, resident, community_worker
):
    other = discussing(community, resident, community_worker, title="另一个议题")
    statement = shown(other, community_worker, "别处的意见", resident)
    client.force_login(resident)
    response = client.post(
        reverse("statement_answer", args=[topic.pk, statement.pk]), {"vote": "agree"}
    )
    assert response.status_code == 404
    assert not StatementVote.objects.exists()


def test_outsiders_get_404_and_partners_cannot_answer(
    client, topic, outsider, partner, community_worker, resident
):
    statement = shown(topic, community_worker, "多装几个充电桩", resident)
    client.force_login(outsider)
    assert client.get(reverse("opinion_map", args=[topic.pk])).status_code == 404
    client.force_login(partner)
    answer = client.post(
        reverse("statement_answer", args=[topic.pk, statement.pk]), {"vote": "agree"}
    )
    assert answer.status_code == 403


CAMP_A = ["限时停车", "外来车收费", "划定访客车位", "禁止占用消防通道", "装道闸", "车位按户分配"]
CAMP_B = ["不收费", "先到先停", "允许夜间路边停车", "取消访客车位", "不装道闸", "车位公开竞拍"]
SHARED = ["业委会公开停车收支", "增加照明"]


def build_camps(topic, worker, author, sizes):
    """People in camps: camp A agrees with CAMP_A and disagrees with CAMP_B, camp B the reverse;
    everyone agrees with SHARED. Returns the camps' members."""
    statements = {t: shown(topic, worker, t, author) for t in CAMP_A + CAMP_B + SHARED}
    people = quick_residents(topic.community, sum(sizes), prefix="住户")
    camps = [people[: sizes[0]], people[sizes[0] :]]
    for number, camp in enumerate(camps):
        for index, person in enumerate(camp):
            for text, statement in statements.items():
                if text in SHARED:
                    vote = 1
                else:
                    vote = 1 if (text in CAMP_A) == (number == 0) else -1
                    if (CAMP_A + CAMP_B).index(text) == index % 12:
                        vote = 0  # nobody answers exactly like anybody else
                opinions.answer_statement(statement, by=person, vote=vote)
    return camps


def test_the_map_shows_groups_their_statements_and_the_consensus(
    client, topic, resident, community_worker, run_tasks
):
    camps = build_camps(topic, community_worker, resident, [7, 6])
    run_tasks()
    client.force_login(resident)
    page = text_of(client.get(reverse("opinion_map", args=[topic.pk])))

    assert "13 人参与表态，其中 13 人表态足够多" in page
    assert "A 组 · 7 人" in page and "B 组 · 6 人" in page
    section_a = page.split("A 组 · 7 人")[1].split("B 组")[0]
    assert any(f"同意：{t}" in section_a for t in CAMP_A) or any(
        f"不同意：{t}" in section_a for t in CAMP_B
    )
    consensus = page.split("各群体的共识")[1].split("分歧最大的意见")[0]
    assert all(f"同意：{t}" in consensus for t in SHARED)
    divisive = page.split("分歧最大的意见")[1]
    assert not any(t in divisive for t in SHARED)
    for person in camps[0] + camps[1]:  # nobody's name, nobody's position
        assert person.real_name not in page
    assert 'role="img"' in client.get(reverse("opinion_map", args=[topic.pk])).content.decode()


def test_a_group_under_five_people_is_not_shown_on_its_own(
    client, topic, resident, community_worker, run_tasks
):
    build_camps(topic, community_worker, resident, [9, 3])
    run_tasks()
    client.force_login(resident)
    page = text_of(client.get(reverse("opinion_map", args=[topic.pk])))

    assert "A 组 · 9 人" in page
    assert "B 组" not in page
    assert "另有 3 人所在的群体人数太少，不单独显示" in page


def waiting_recomputes():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path="deliberation.services.opinions.recompute_opinion_map", status="READY"
    )


@pytest.fixture
def no_drawing_here(monkeypatch):
    """Drawing the map in this process fails the test; the worker gets the real one."""
    real = opinions.compute_map

    def refuse(topic):
        raise AssertionError("a page drew the opinion map")

    monkeypatch.setattr(opinions, "compute_map", refuse)
    return real


def test_the_map_follows_new_answers_drawn_by_the_task_queue_never_by_the_page(
    client, topic, resident, owner, community_worker, run_tasks, no_drawing_here, monkeypatch
):
    client.force_login(resident)
    url = reverse("opinion_map", args=[topic.pk])
    assert "还没有人对意见表态，所以还没有意见地图" in text_of(client.get(url))

    camps = build_camps(topic, community_worker, resident, [6, 6])
    assert waiting_recomputes().count() == 1  # 170 answers, one waiting recompute
    page = client.get(url).content.decode()  # the page does not draw it (no_drawing_here)
    assert "正在根据已有的表态生成意见地图" in text_of(client.get(url))
    assert 'hx-trigger="every 3s"' in page
    assert waiting_recomputes().count() == 1

    monkeypatch.setattr(opinions, "compute_map", no_drawing_here)  # the worker's turn
    run_tasks()
    monkeypatch.setattr(opinions, "compute_map", lambda topic: 1 / 0)
    page = text_of(client.get(url))
    assert "A 组 · 6 人" in page and "更新于" in page
    assert "正在统计" not in page and "every 3s" not in client.get(url).content.decode()

    # A new answer: the page keeps showing the map it has, says it is being updated, and the
    # htmx poll gets the map part alone.
    statement = Statement.objects.filter(topic=topic, state="approved").first()
    opinions.answer_statement(statement, by=camps[0][0], vote=-1)
    page = text_of(client.get(url))
    assert "A 组 · 6 人" in page and "有新的表态正在统计，地图会自动更新" in page
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="opinion-map-body"') and "every 3s" in fragment

    monkeypatch.setattr(opinions, "compute_map", no_drawing_here)
    run_tasks()
    assert "正在统计" not in text_of(client.get(url))


def test_a_recompute_that_finds_the_map_current_does_nothing(
    topic, resident, community_worker, run_tasks, monkeypatch
):
    build_camps(topic, community_worker, resident, [6, 6])
    run_tasks()
    drawn = opinions.map_for(topic)
    calls = []
    monkeypatch.setattr(opinions, "compute_map", lambda topic: calls.append(topic))
    assert opinions.recompute_map(topic.pk) is False
    assert calls == [] and opinions.map_for(topic) == drawn


def test_the_stored_map_keeps_how_many_answered_never_who_is_in_which_group(
    topic, resident, community_worker, run_tasks
):
    from deliberation.models import LatestOpinionMap

    camps = build_camps(topic, community_worker, resident, [6, 6])
    run_tasks()
    stored = LatestOpinionMap.objects.get(topic=topic).data
    assert stored["participant_count"] == 12 and "participants" not in stored
    ids = {str(person.pk) for person in camps[0] + camps[1]}
    assert not any(f'"{i}"' in json.dumps(stored) for i in ids)


def test_hiding_a_statement_redraws_the_map_without_it(
    client, topic, resident, community_worker, run_tasks
):
    build_camps(topic, community_worker, resident, [7, 6])
    run_tasks()
    shared = Statement.objects.get(topic=topic, text=SHARED[0])
    opinions.moderate_statement(shared, by=community_worker, show=False, reason="重复")
    assert waiting_recomputes().count() == 1
    run_tasks()
    client.force_login(resident)
    consensus = text_of(client.get(reverse("opinion_map", args=[topic.pk]))).split("各群体的共识")[
        1
    ]
    assert SHARED[0] not in consensus and f"同意：{SHARED[1]}" in consensus


def test_the_map_reads_in_english_on_request(client, topic, resident, community_worker, run_tasks):
    build_camps(topic, community_worker, resident, [7, 6])
    run_tasks()
    client.force_login(resident)
    client.cookies["django_language"] = "en"
    page = text_of(client.get(reverse("opinion_map", args=[topic.pk])))

    assert "Group A · 7 people" in page and "Group B · 6 people" in page
    assert "What all groups agree on (共识)" in page
    assert all(f"Agree: {t}" in page for t in SHARED)
    assert "13 people answered; 13 answered enough to be placed in a group." in page


def test_the_map_downloads_as_xlsx_with_groups_and_consensus_as_text(
    client, topic, resident, community_worker, run_tasks
):
    camps = build_camps(topic, community_worker, resident, [7, 6])
    run_tasks()
    typed = '=HYPERLINK("http://x")'  # a resident's statement that looks like a formula
    formula = shown(topic, community_worker, typed, resident)
    for person in camps[0] + camps[1]:
        opinions.answer_statement(formula, by=person, vote=1)
    run_tasks()
    client.force_login(resident)
    page = client.get(reverse("opinion_map", args=[topic.pk]))
    link = re.search(r'href="([^"]+map\.xlsx)"', page.content.decode()).group(1)
    response = client.get(link)

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c for c in r if c is not None] for r in sheet.iter_rows(values_only=True)]
    assert ["A", 7] in rows and ["B", 6] in rows
    consensus_at = rows.index(["各群体的共识", "表态"])
    consensus = [r[0] for r in rows[consensus_at + 1 : consensus_at + 4]]
    assert set(consensus) == {*SHARED, typed}
    cells = [cell for r in sheet.iter_rows() for cell in r if cell.value == typed]
    assert len(cells) == 1 and cells[0].data_type == "s"


def decide_through_the_page(client, topic, chair):
    client.force_login(chair)
    topic.refresh_from_db()
    return client.post(
        reverse("topic_decide", args=[topic.pk]),
        {
            "version": topic.version,
            "text": "外来车辆收费，收入公开。",
            "decided_by": "residents_meeting",
            "decided_on": "2026-11-20",
        },
        follow=True,
    )


def test_the_decision_and_its_notice_carry_the_consensus_and_the_groups(
    client, topic, resident, community_worker, chair, run_tasks
):
    camps = build_camps(topic, community_worker, resident, [7, 6])
    run_tasks()
    page = text_of(decide_through_the_page(client, topic, chair))

    decision = page.split("决定时的意见地图")[1]
    assert "13 人对意见表态。 A 组 · 7 人; B 组 · 6 人" in decision
    assert all(f"同意：{t}" in decision for t in SHARED)
    notice = topic.decision.notice
    assert (
        "共 13 人回应了观点，分为 2 组：\n- A 组 7 人\n- B 组 6 人\n各群体的共识：" in notice.body
    )
    assert all(f"- 同意：{t}" in notice.body for t in SHARED)

    notice_page = text_of(
        client.get(reverse("notice_detail", args=[topic.community_id, notice.pk]))
    )
    assert "各群体的共识：" in notice_page
    for person in camps[0] + camps[1]:
        assert person.real_name not in notice.body


def test_a_decision_without_answers_says_nothing_of_a_map(client, topic, chair):
    page = text_of(decide_through_the_page(client, topic, chair))
    assert "决定时的意见地图" not in page
    assert "意见地图" not in topic.decision.notice.body


def test_the_live_room_links_the_open_items_topic_to_its_map(
    client, community, topic, resident, owner, community_worker, chair, run_tasks
):
    from meetings import services as room
    from meetings.models import AgendaItem
    from tests.meeting_factories import live_consultation

    meeting = live_consultation(community, chair, community_worker, owner, resident)
    item = AgendaItem.objects.create(meeting=meeting, position=3, title="停车管理", topic=topic)
    build_camps(topic, community_worker, resident, [6, 6])
    run_tasks()
    client.force_login(chair)
    url = reverse("meeting_room", args=[meeting.pk])
    assert "本议程议题的意见地图" not in text_of(client.get(url))

    room.open_item(meeting, by=chair, item_id=item.pk)
    html = client.get(url).content.decode()
    assert "本议程议题的意见地图" in text_of(client.get(url))  # the map itself, in the room
    link = re.search(r'href="([^"]+)"[^>]*>查看完整意见地图', html).group(1)
    assert "A 组 · 6 人" in text_of(client.get(link))


def test_closing_the_item_minutes_where_the_community_stood(
    client, community, topic, resident, owner, community_worker, chair, run_tasks
):
    from meetings import services as room
    from meetings.models import AgendaItem
    from tests.meeting_factories import live_consultation

    meeting = live_consultation(community, chair, community_worker, owner, resident)
    plain = meeting.items.get(position=1)
    item = AgendaItem.objects.create(meeting=meeting, position=3, title="停车管理", topic=topic)
    build_camps(topic, community_worker, resident, [7, 6])
    run_tasks()
    room.open_item(meeting, by=chair, item_id=plain.pk)
    room.close_item(meeting, by=chair, item_id=plain.pk)
    room.open_item(meeting, by=chair, item_id=item.pk)
    room.close_item(meeting, by=chair, item_id=item.pk)

    client.force_login(resident)
    record = text_of(client.get(reverse("meeting_minutes", args=[meeting.pk]))).split("记录")[-1]
    assert record.count("意见地图（供决策参考，不是表决）") == 1
    assert "共 13 人回应了观点，分为 2 组： - A 组 7 人 - B 组 6 人 各群体的共识：" in record
    assert all(f"- 同意：{t}" in record for t in SHARED)


def test_a_persons_statements_and_own_answers_are_in_their_data_download(
    client, topic, resident, owner, community_worker
):
    import json

    statement = shown(topic, community_worker, "夜间限速五公里", resident)
    opinions.answer_statement(statement, by=owner, vote=-1)
    client.force_login(owner)
    data = json.loads(client.get(reverse("my_data_download") + "?format=json").content)

    assert [(a["statement"], a["vote"]) for a in data["statement_answers"]] == [
        ("夜间限速五公里", "不同意")
    ]
    assert data["statements"] == []  # the resident's statement is not the owner's
    client.force_login(resident)
    data = json.loads(client.get(reverse("my_data_download") + "?format=json").content)
    assert [s["text"] for s in data["statements"]] == ["夜间限速五公里"]
    assert data["statement_answers"] == []


def test_a_recompute_lost_with_its_worker_is_queued_again_when_the_map_is_opened(
    client, topic, resident, community_worker, run_tasks, settings
):
    import datetime

    import time_machine
    from django.utils import timezone

    build_camps(topic, community_worker, resident, [6, 6])
    waiting_recomputes().delete()  # the worker that would have run it is gone, and its task
    client.force_login(resident)
    url = reverse("opinion_map", args=[topic.pk])
    client.get(url)
    assert not waiting_recomputes().exists()  # one is marked waiting: not queued twice yet

    later = timezone.now() + datetime.timedelta(seconds=settings.JOB_STALL_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert "正在根据已有的表态生成意见地图" in text_of(client.get(url))
    assert waiting_recomputes().count() == 1
    run_tasks()
    assert "A 组 · 6 人" in text_of(client.get(url))


def test_a_slow_drawing_of_older_answers_never_replaces_a_newer_map(
    topic, resident, community_worker, run_tasks, monkeypatch
):
    build_camps(topic, community_worker, resident, [6, 6])
    run_tasks()
    [newcomer] = quick_residents(topic.community, 1, prefix="新住户")
    statement = Statement.objects.filter(topic=topic, state="approved").first()
    real = opinions.compute_map
    overtaken = []

    def slow(topic):
        data = real(topic)  # the answers as they were when this drawing began
        if not overtaken:
            overtaken.append(True)
            opinions.answer_statement(statement, by=newcomer, vote=1)
            assert opinions.recompute_map(topic.pk)  # a later drawing finishes first
        return data

    opinions.answer_statement(statement, by=resident, vote=0)
    monkeypatch.setattr(opinions, "compute_map", slow)
    assert opinions.recompute_map(topic.pk) is False
    assert opinions.map_for(topic)["participant_count"] == 14  # the newcomer is counted


def test_a_failing_drawing_is_not_retried_by_every_look_at_the_page(
    client, topic, resident, community_worker, run_tasks, monkeypatch
):
    build_camps(topic, community_worker, resident, [6, 6])
    monkeypatch.setattr(opinions, "compute_map", lambda topic: 1 / 0)
    run_tasks()  # the task fails (and is logged by the worker)
    client.force_login(resident)
    url = reverse("opinion_map", args=[topic.pk])
    for _look in range(3):
        assert "正在根据已有的表态生成意见地图" in text_of(client.get(url, HTTP_HX_REQUEST="true"))
    assert not waiting_recomputes().exists()


def test_looking_at_the_map_while_it_is_drawn_does_not_make_the_new_drawing_stale(
    client, topic, resident, community_worker, monkeypatch
):
    """A look is not an answer: a person whose page asks for the map during a drawing gets the
    new map once it is stored, and no second drawing is queued for nothing."""
    build_camps(topic, community_worker, resident, [6, 6])
    waiting_recomputes().delete()  # run by hand below
    client.force_login(resident)
    url = reverse("opinion_map", args=[topic.pk])
    real = opinions.compute_map

    def drawing_while_looked_at(topic):
        assert "正在根据已有的表态生成意见地图" in text_of(client.get(url))
        return real(topic)

    monkeypatch.setattr(opinions, "compute_map", drawing_while_looked_at)
    assert opinions.recompute_map(topic.pk)

    assert "A 组 · 6 人" in text_of(client.get(url))
    assert "正在根据已有的表态生成意见地图" not in text_of(client.get(url))
    assert not waiting_recomputes().exists()
