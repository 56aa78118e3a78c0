"""The accessibility audit: axe-core plus our own checks on every page people use.

Each page in tests/browser/audited_urls.py is opened as each persona listed there, in Debian's
chromium. A test fails on any serious or critical axe violation, on sideways scrolling at phone
width, on touch targets under 44 px, on a missing skip link, landmark or <h1>, on headings that
skip a level, and on a name that points at a missing element (our own checks, a11y_checks.js,
which run in every variant below). Pages after an action (a ballot cast or refused, a comment
posted) and the error pages are audited too.

Every persona gets the page at 360 px in normal text with every axe rule. The main persona (the
first listed) gets five variants more; each checks what it can change, and no more:

- 1280 px, normal text: the same page widened. The markup is the server's, the same at any
  width; one media query changes padding and the <h1>'s size, and static/js/a11y.js only takes
  off a wide table's scroll-region marks (tabindex, role, name) once it fits. So only the rules
  about layout and sizes run: colour contrast (a text's size sets the contrast it needs), links
  told apart inside text, and scrolling regions reachable by keyboard; with our touch targets.
- 200 % zoom of a phone (195 px), every disclosure (<details>) opened: the same page narrowed
  (WCAG 1.4.10 reflow), with every axe rule, as the opened disclosures show what no other variant
  showed.
- large text at 360 px: a fresh load, as the server renders the text-size switch differently;
  every axe rule, since that markup changed.
- large text at 1280 px: that page widened; the layout rules, as at 1280 px in normal text.
- English at 360 px, disclosures opened: a fresh load; every axe rule, as every name, label and
  title changed, and the page's lang.

A page is loaded afresh only where the server renders it differently (text size, language):
resizing a loaded page gives what a fresh load at that size gives once the page has handled
the resize (a11y.js marks the tables that scroll then), which `resize` waits for.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.context_processors import TEXT_SIZE_COOKIE
from tests.browser.audited_urls import AUDITED, PATHS, exemption_for
from tests.integration.test_url_permissions import World, named_urls
from tests.integration.url_rules import PERSONAS, RULES
from tests.topic_factories import collecting, discussing
from tests.vote_factories import open_vote

AXE_PATH = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe-4.14.1.min.js"
AXE_URL = "/static/vendor/axe-core/axe-4.14.1.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
ZOOMED = {"width": 195, "height": 422}  # a 390 px phone at 200 % zoom (WCAG 1.4.10 reflow)
BLOCKING = ("serious", "critical")

# The axe rules a page's width or text size can change; the others read only its markup.
LAYOUT_RULES = ["color-contrast", "link-in-text-block", "scrollable-region-focusable"]

RUN_AXE = """async (rules) => {
  const options = {resultTypes: ["violations"]};
  if (rules) options.runOnly = {type: "rule", values: rules};
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + (n.failureSummary || "")
      .split("\\n").slice(1, 2).join(""))
  }));
}"""

OWN_CHECKS = (Path(__file__).parent / "a11y_checks.js").read_text()


def test_every_named_url_is_audited_or_exempt():
    missing = sorted(n for n in named_urls() if n not in AUDITED and not exemption_for(n))
    assert not missing, (
        "These URL names are neither audited nor exempt in tests/browser/audited_urls.py: "
        + ", ".join(missing)
        + ". Add them to AUDITED with the personas who use the page, or to EXEMPT with a reason."
    )


def test_every_audited_page_can_be_built():
    unbuildable = [n for n in AUDITED if n not in RULES and n not in PATHS]
    assert not unbuildable, f"no url_rules.py row and no PATHS entry for: {unbuildable}"
    wrong = [p for n, ps in AUDITED.items() for p in ps if p not in PERSONAS]
    assert not wrong, f"unknown personas: {wrong}"


def path_of(name, world):
    if name in PATHS:
        return PATHS[name]
    rule = RULES[name]
    kwargs = rule.kwargs(world) if rule.kwargs else {}
    return reverse(name, kwargs=kwargs) + rule.query


def sign_in(page, base_url, user):
    page.context.clear_cookies()
    if user is None:
        return
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}]
    )


def set_large_text(page, base_url, user, large):
    size = "large" if large else "normal"
    if user is not None:
        type(user).objects.filter(pk=user.pk).update(text_size=size)
    page.context.add_cookies([{"name": TEXT_SIZE_COOKIE, "value": size, "url": base_url}])


def audit(page, label, phone, rules=None):
    """axe (every rule, or only `rules`) and our own checks on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    problems = []
    for v in page.evaluate(RUN_AXE, rules):
        if v["impact"] in BLOCKING:
            problems.append(f"{label}: axe {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}")
    problems += [f"{label}: {p}" for p in page.evaluate(OWN_CHECKS, phone)]
    return problems


def resize(page, size):
    """Set the viewport and wait until the page's own resize listeners have run."""
    page.evaluate(
        "() => { window.auditResized ="
        " new Promise(r => addEventListener('resize', r, {once: true})); }"
    )
    page.set_viewport_size(size)
    page.evaluate("() => window.auditResized")


def load(page, base_url, url, persona):
    """Open the page; a problem if it does not answer 200."""
    response = page.goto(base_url + url)
    if response is None or response.status != 200:
        status = response.status if response else "no response"
        return [f"{url} as {persona}: status {status}, expected 200"]
    return []


def audit_page(page, base_url, url, user, persona, *, full):
    """Audit one page as one person; `full` adds the main persona's variants (see above)."""
    label = f"{url} as {persona}"
    set_large_text(page, base_url, user, False)
    page.set_viewport_size(PHONE)
    failed = load(page, base_url, url, persona)
    if failed:
        return failed
    problems = audit(page, f"{label} at 360px", True)
    if not full:
        return problems
    resize(page, DESKTOP)
    problems += audit(page, f"{label} at 1280px", False, LAYOUT_RULES)
    resize(page, ZOOMED)
    open_disclosures(page)
    problems += audit(page, f"{label} at 200% zoom, disclosures open", True)

    set_large_text(page, base_url, user, True)
    page.set_viewport_size(PHONE)
    failed = load(page, base_url, url, persona)
    if failed:
        return problems + failed
    assert "text-large" in (page.locator("html").get_attribute("class") or "")
    problems += audit(page, f"{label} at 360px large text", True)
    resize(page, DESKTOP)
    problems += audit(page, f"{label} at 1280px large text", False, LAYOUT_RULES)
    set_large_text(page, base_url, user, False)

    set_language(page, base_url, user, "en")
    try:
        page.set_viewport_size(PHONE)
        problems += load(page, base_url, url, persona)
        assert page.locator("html").get_attribute("lang") == "en"
        open_disclosures(page)
        problems += audit(page, f"{label} in English", True)
    finally:
        set_language(page, base_url, user, "zh-hans")
    return problems


def open_disclosures(page):
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")


def set_language(page, base_url, user, language):
    if user is not None:  # the default language is stored as "no choice"
        type(user).objects.filter(pk=user.pk).update(
            language="" if language == "zh-hans" else language
        )
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    )


@pytest.mark.parametrize("name", sorted(AUDITED))
def test_the_page_has_no_serious_accessibility_problem(name, page, live_server, request):
    world = World(request)
    world.community  # noqa: B018  (the community exists before any persona)
    for persona in PERSONAS[1:]:
        world.user(persona)
    url = path_of(name, world)
    problems = []
    for index, persona in enumerate(AUDITED[name]):
        user = world.user(persona)
        sign_in(page, live_server.url, user)
        problems += audit_page(page, live_server.url, url, user, persona, full=index == 0)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_page_after_casting_a_ballot_or_failing_to(
    page, live_server, community, committee_member, owner, language
):
    vote = open_vote(community, committee_member)
    sign_in(page, live_server.url, owner)
    set_language(page, live_server.url, owner, language)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    page.locator("#ballot button[type=submit]").click()
    expect(page.locator("#ballot [data-error-summary]")).to_be_focused()
    problems = audit(page, f"a ballot with nothing marked ({language})", True)
    page.locator("#ballot input[type=radio][value=yes]").check()
    page.locator("#ballot button[type=submit]").click()
    receipt = page.locator("#ballot .receipt")
    expect(receipt).to_be_focused()  # not the page's body: the person hears the receipt
    problems += audit(page, f"the page after casting a ballot ({language})", True)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db(transaction=True)
def test_the_topic_page_after_a_comment_and_a_co_sign(
    page, live_server, community, resident, owner, community_worker
):
    collecting_topic = collecting(community, owner)
    discussed = discussing(community, owner, community_worker, title="小区路灯不亮")
    sign_in(page, live_server.url, resident)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/topics/{collecting_topic.pk}/")
    page.locator("#cosign button").click()
    expect(page.locator("#cosign .badge.ok")).to_be_visible()
    problems = audit(page, "the topic page after co-signing", True)
    page.goto(f"{live_server.url}/topics/{discussed.pk}/")
    page.locator("#comment-form textarea").fill("晚上太黑，老人出门不方便。")
    page.locator("#comment-form button").click()
    expect(page.locator("#comments")).to_contain_text("晚上太黑")
    problems += audit(page, "the topic page after commenting", True)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_error_pages(page, live_server, community, resident, owner, language, settings):
    settings.DEBUG = False
    topic = collecting(community, owner)
    sign_in(page, live_server.url, resident)
    set_language(page, live_server.url, resident, language)
    problems = []
    for url, status in (("/no-such-page/", 404), (f"/topics/{topic.pk}/triage/", 403)):
        page.set_viewport_size(PHONE)
        response = page.goto(live_server.url + url)
        assert response.status == status
        problems += audit(page, f"the {status} page ({language})", True)
        page.set_viewport_size(ZOOMED)
        problems += audit(page, f"the {status} page at 200% zoom ({language})", True)
    assert not problems, "\n".join(problems)


def test_our_checks_catch_a_page_that_breaks_every_rule(page):
    page.set_viewport_size(PHONE)
    page.set_content(
        "<html><body><button>go</button><a class='skip-link' href='#m'>skip</a>"
        "<h1>a</h1><h1>b</h1><h4>deep</h4><div style='width:900px'>wide</div>"
        "<nav><a href='/'>x</a></nav><input name='q' placeholder='search'>"
        "<section aria-labelledby='gone'></section></body></html>"
    )
    found = "\n".join(page.evaluate(OWN_CHECKS, True))
    for expected in (
        "scrolls sideways",
        "no lang",
        "not exactly one <main>",
        "2 <h1> elements",
        "heading jumps from h1 to h4",
        "skip link",
        "touch target",
        "only a placeholder",
        "labelled by a missing element: gone",
    ):
        assert expected in found
