import json
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts import data_export
from deliberation.models import AuditEntry, Holder
from tests.factories import give_unit, make_user

pytestmark = pytest.mark.django_db


def download(client, kind="json"):
    return client.get(reverse("my_data_download") + f"?format={kind}")


def test_an_owner_sees_what_is_held_about_them(client, owner):
    client.force_login(owner)
    response = client.get(reverse("my_data"))
    assert response.status_code == 200
    assert owner.phone in response.text


def test_the_json_holds_the_profile_and_the_units_owned(client, owner):
    client.force_login(owner)
    response = download(client)
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["profile"]["real_name"] == "李明"
    assert [row["unit"] for row in data["ownerships"]] == ["1号楼-101"]
    assert data["memberships"][0]["role"] == "居民"


def test_no_one_elses_rows_are_exported(client, owner, community):
    neighbour = make_user(name="邻居")
    give_unit(community, neighbour)
    client.force_login(owner)
    data = json.loads(download(client).content)
    assert len(data["ownerships"]) == 1
    assert "邻居" not in download(client).content.decode()


def test_secrets_never_leave_the_database(client, owner):
    Holder.objects.filter(user=owner).update(
        id_digest="deadbeef" * 8, id_masked="1101**********123X"
    )
    client.force_login(owner)
    text = download(client).content.decode()
    assert "deadbeef" not in text
    assert "pbkdf2" not in text
    assert "1101**********123X" in text


def test_the_spreadsheet_opens_and_does_not_run_formulas(client, owner):
    owner.real_name = '=HYPERLINK("http://evil.example")'
    owner.save()
    client.force_login(owner)
    response = download(client, "xlsx")
    book = load_workbook(BytesIO(response.content))
    values = [row[1] for row in book["profile"].iter_rows(values_only=True)]
    assert '\'=HYPERLINK("http://evil.example")' in values
    assert "ownerships" in book.sheetnames


def test_an_unknown_format_falls_back_to_json(client, owner):
    client.force_login(owner)
    assert json.loads(download(client, "exe").content)["profile"]


def test_each_download_is_recorded_privately(client, owner):
    client.force_login(owner)
    download(client)
    entry = AuditEntry.objects.get(verb="personal_data.export")
    assert entry.actor_id == owner.pk
    assert not entry.public


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("my_data"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_section_for_a_model_that_does_not_exist_is_skipped(owner, monkeypatch):
    from django.apps import apps

    for config in apps.get_app_configs():
        monkeypatch.setattr(config, "personal_data", [], raising=False)
    monkeypatch.setattr(
        apps.get_app_config("deliberation"),
        "personal_data",
        [("nothing", "Nothing", "NoSuchModel", ["user"])],
    )
    assert data_export.collect(owner)["sections"] == []


def test_the_export_lists_the_notices_served_to_the_person(client, community, owner):
    from deliberation.delivery import deliver_notice
    from deliberation.models import NoticeKind
    from deliberation.notices import publish_notice

    notice = publish_notice(community=community, kind=NoticeKind.OTHER, title="停水", body="x")
    deliver_notice(notice)
    client.force_login(owner)
    rows = json.loads(download(client).content)["deliveries"]
    assert {row["channel"] for row in rows} >= {"平台内", "短信"}
    assert {row["recipient"] for row in rows} >= {owner.phone}
