"""A topic's history from the reader's side: the work on it, and tampering marked plainly."""

import pytest
from django.db import connection
from django.utils.html import escape

from deliberation.models import AuditEntry, Role
from deliberation.services import execution as svc
from tests.factories import add_member
from tests.factories_execution import topic_with_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked_topic(community, resident, community_worker, chair):
    """A topic with a task sent to a unit, taken on, progressed, supervised and done."""
    contact = add_member(community, Role.PARTNER_CONTACT, name="孙红")
    unit = svc.register_partner(
        community, by=community_worker, name="幸福物业", kind="company", contacts=[contact]
    )
    topic, task = topic_with_task(community, resident, community_worker, topic="修楼道灯")
    svc.dispatch_task(task, unit, by=community_worker)
    svc.answer_dispatch(task, by=contact, accept=True)
    svc.report_progress(task, by=contact, text="买好灯泡", percent=40)
    svc.add_supervision_note(task, by=chair, text="请尽快")
    svc.complete_task(task, by=contact, text="换好了")
    return topic, unit


def history_page(client, topic):
    response = client.get(f"/topics/{topic.pk}/history/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_work_on_a_topic_shows_in_its_history(client, worked_topic, resident):
    topic, unit = worked_topic
    client.force_login(resident)
    html = history_page(client, topic)
    for line in [
        "已添加任务：“更换灯泡”",
        f"“更换灯泡”已派给{unit.name}（下单）",
        f"{unit.name}已接单“更换灯泡”（接单）",
        "“更换灯泡”的进展：40%",
        "对“更换灯泡”督办",
        "“更换灯泡”已办结",
    ]:
        assert escape(line) in html, line
    assert "task.dispatch" not in html and "task.progress" not in html
    assert "本页每条记录均与封存的日志一致" in html
    assert "未通过防篡改核验" not in html


def forge(entry_pk, data):
    """The attack: an UPDATE straight to the database, behind the application's back."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET data = %s WHERE id = %s", [data, entry_pk])  # noqa: S608


def rows(html):
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr")[1:]


def test_a_forged_entry_is_marked_on_the_history_page(client, worked_topic, resident):
    topic, _unit = worked_topic
    progress = AuditEntry.objects.get(verb="task.progress")
    forge(progress.pk, '{"percent": 100, "update": 1, "photos": 0}')
    client.force_login(resident)
    html = history_page(client, topic)
    assert "警告：本页有 1 条记录未通过防篡改核验。" in html
    marked = [row for row in rows(html) if "已被改动：未通过防篡改核验" in row]
    assert len(marked) == 1
    assert "“更换灯泡”的进展：100%" in marked[0]  # the forged text, shown as forged
    assert "本页每条记录均与封存的日志一致" not in html


def test_a_forged_entry_is_marked_on_the_topic_page_too(client, worked_topic, resident):
    topic, _unit = worked_topic
    forge(AuditEntry.objects.filter(verb="task.complete").get().pk, '{"percent": 100}')
    client.force_login(resident)
    html = client.get(topic.get_absolute_url()).content.decode()
    history = html.split('id="history"', 1)[1]
    assert history.count("已被改动：未通过防篡改核验") == 1


def test_the_break_is_marked_in_english_for_an_english_reader(client, worked_topic, resident):
    topic, _unit = worked_topic
    forge(AuditEntry.objects.filter(verb="task.claim").get().pk, '{"unit": 0}')
    client.force_login(resident)
    client.cookies["django_language"] = "en"
    html = history_page(client, topic)
    assert "Warning: 1 entry on this page fails the tamper check." in html
    assert html.count("Altered: fails the tamper check") == 1
