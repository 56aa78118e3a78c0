"""Screenshots of the main pages at phone width, in Chinese and English, normal and large text.

Run by `make screenshots` (pytest tests/browser/test_screenshots.py --screenshots=screenshots);
skipped otherwise, so `make test` writes nothing. The folder is in .gitignore: it is for a
person to look at, not to commit.
"""

from pathlib import Path

import pytest

from accounts.context_processors import TEXT_SIZE_COOKIE
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import path_of, sign_in
from tests.integration.shared_world import World
from tests.integration.url_rules import PERSONAS

# (file name, URL name, persona)
SCREENS = [
    ("01-welcome", "home", "anonymous"),
    ("02-login", "account_login", "anonymous"),
    ("03-home", "home", "owner"),
    ("04-simple", "simple_home", "resident"),
    ("05-my-flats", "my_units", "owner"),
    ("06-topics", "topic_list", "resident"),
    ("07-topic", "topic_detail", "resident"),
    ("08-notices", "notice_board", "resident"),
    ("09-vote", "vote_detail", "owner"),
    ("10-vote-result", "vote_result", "owner"),
    ("11-meeting-room", "meeting_room", "owner"),
    ("12-tasks", "task_list", "community_worker"),
    ("13-dashboard", "dashboard", "community_worker"),
    ("14-register-import", "register_import", "community_worker"),
    ("15-my-data", "my_data", "owner"),
]
LANGUAGES = ("zh-hans", "en")
SIZES = ("normal", "large")


@pytest.fixture
def folder(request):
    target = request.config.getoption("screenshots", default=None)
    if not target:
        pytest.skip("screenshots are taken by `make screenshots` (--screenshots=DIR)")
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_take_screenshots_of_the_main_pages(folder, page, live_server, request):
    world = World(request)
    world.community  # noqa: B018
    for persona in PERSONAS[1:]:
        world.user(persona)
    page.set_viewport_size(PHONE)
    taken, skipped = [], []
    for stem, name, persona in SCREENS:
        try:
            url = path_of(name, world)
        except Exception as problem:  # a page not built yet: say so and carry on
            skipped.append(f"{stem} ({name}): {problem}")
            continue
        user = world.user(persona)
        for language in LANGUAGES:
            for size in SIZES:
                if user is not None:
                    type(user).objects.filter(pk=user.pk).update(language=language, text_size=size)
                sign_in(page, live_server.url, user)
                page.context.add_cookies(
                    [
                        {"name": "django_language", "value": language, "url": live_server.url},
                        {"name": TEXT_SIZE_COOKIE, "value": size, "url": live_server.url},
                    ]
                )
                page.goto(live_server.url + url)
                file = folder / f"{stem}-{language}-{size}.png"
                page.screenshot(path=str(file), full_page=True)
                taken.append(file)
    print(f"\n{len(taken)} screenshots in {folder}/" + "".join(f"\nskipped {s}" for s in skipped))
    assert taken
