"""A job's progress page asks the server again every 0.25 s in these tests instead of every
second: what the page shows by itself is still what is tested, without waiting for the next
tick. (The opinion map's page is left at its own pace: each of its polls while a drawing
waits writes the map's row and may queue another check, which cost more CPU than the wait.)

`pytestmark = pytest.mark.usefixtures("quick_polls")` after importing the fixture."""

import pytest

QUICK = 0.25


@pytest.fixture
def quick_polls(settings):
    settings.POLL_SECONDS = dict.fromkeys(settings.POLL_SECONDS, QUICK)
