"""A forged audit row shows as forged on the topic's history, on a phone."""

from django.db import connection
from playwright.sync_api import expect

from deliberation.models import AuditEntry
from deliberation.services import execution as svc
from tests.browser.conftest import log_in
from tests.factories_execution import topic_with_task


def test_a_resident_sees_a_forged_entry_marked_in_the_history(
    page, live_server, community, resident, community_worker
):
    topic, task = topic_with_task(community, resident, community_worker, topic="修楼道灯")
    svc.report_progress(task, by=community_worker, text="买好灯泡", percent=40)
    svc.complete_task(task, by=community_worker, text="换好了")

    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/topics/{topic.pk}/history/")
    expect(page.get_by_text("已核验：本页每条记录均与封存的日志一致。")).to_be_visible()
    expect(page.get_by_role("cell", name="“更换灯泡”的进展：40%")).to_be_visible()

    # The attack: someone with database access rewrites the progress behind the app's back.
    entry = AuditEntry.objects.get(verb="task.progress")
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET data = %s WHERE id = %s",  # noqa: S608
            ['{"percent": 90, "update": 1, "photos": 0}', entry.pk],
        )

    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("警告：本页有 1 条记录未通过防篡改核验。")
    forged = page.locator("tr.tampered")
    expect(forged).to_have_count(1)
    expect(forged).to_contain_text("已被改动：未通过防篡改核验")
    expect(forged).to_contain_text("“更换灯泡”的进展：90%")
    expect(page.get_by_text("已核验：本页每条记录均与封存的日志一致。")).to_have_count(0)
