"""Pages that ask the server again by themselves (a job's progress, the opinion map while it
is drawn) ask every 0.25 s in these tests instead of every 1 or 3 s: what the page shows by
itself is still what is tested, without waiting for the next tick.

`pytestmark = pytest.mark.usefixtures("quick_polls")` after importing the fixture."""

import pytest

QUICK = 0.25


@pytest.fixture
def quick_polls(settings):
    settings.POLL_SECONDS = dict.fromkeys(settings.POLL_SECONDS, QUICK)
