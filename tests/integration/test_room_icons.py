"""The live room draws its raise-hand icon itself: Debian's fonts show the ✋ emoji as a box."""

import pytest
from django.urls import reverse

from tests.meeting_factories import live_consultation

pytestmark = pytest.mark.django_db


def test_the_raise_hand_button_draws_its_hand(
    client, community, chair, community_worker, owner, resident
):
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    url = reverse("meeting_room", args=[meeting.pk])
    client.force_login(chair)
    assert client.post(url, {"command": "next_item", "current": "0"}).status_code == 302
    client.force_login(owner)
    page = client.get(url).text
    button = page[page.index('value="raise_hand"') :]
    button = button[button.index("<button") : button.index("</button>")]
    assert "<svg" in button and 'aria-hidden="true"' in button
    assert "举手发言" in button
    assert "\u270b" not in page
