"""Pages that ask the server again by themselves (a job's progress, an opinion map being
drawn) ask every 0.1 s in these tests instead of every few seconds: what the page shows by
itself is still what is tested, without waiting for the next tick.

`pytestmark = pytest.mark.usefixtures("quick_polls")` after importing the fixture."""

import pytest

QUICK = 0.1


@pytest.fixture
def quick_polls(settings):
    settings.POLL_SECONDS = dict.fromkeys(settings.POLL_SECONDS, QUICK)
