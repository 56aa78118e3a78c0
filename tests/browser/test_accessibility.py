"""The accessibility audit: axe-core plus our own checks on every page people use.

Each page in tests/browser/audited_urls.py is opened as each persona listed there, in Debian's
chromium. A test fails on any serious or critical axe violation, on sideways scrolling at phone
width, on touch targets under 44 px, on a missing skip link, landmark or <h1>, on headings that
skip a level, and on a name that points at a missing element (our own checks, a11y_checks.js,
which run in every variant below). Pages after an action (a ballot cast or refused, a comment
posted) and the error pages are audited too.

Every persona gets the page at 360 px in normal text with every axe rule. The main persona (the
first listed) gets five variants more. Every axe rule runs where the markup is new: the 360 px
page, and the English page with its disclosures open. Where only the layout changes (width, text
size), the layout rules run (LAYOUT_RULES: the rules a width or text size can change), with our
own checks:

- 1280 px, normal text: the same page widened. The markup is the server's, the same at any
  width; one media query changes padding and the <h1>'s size, and static/js/a11y.js only takes
  the tabindex off a wide table's scroll region once it fits.
- 200 % zoom of a phone (195 px), every disclosure (<details>) opened: the same page narrowed
  (WCAG 1.4.10 reflow). The opened disclosures' markup gets every rule in the English variant,
  which opens them too: the same templates, with only the words translated. a11y.js marks a
  table that scrolls only at this width as a scroll region (tabindex, role, name), which the
  layout rules judge (the scroll region's focus and its ARIA attributes).
- large text at 360 px: a fresh load, as the server renders the text-size switch differently.
  Only <html>'s class (the layout) and the header's text-size button change, the same button
  from base.html on every page, which `test_the_large_text_switch_with_every_rule` audits with
  every rule once.
- large text at 1280 px: that page widened.
- English at 360 px, disclosures opened: a fresh load; every axe rule, as every name, label and
  title changed, and the page's lang.

A page is loaded afresh only where the server renders it differently (text size, language):
resizing a loaded page gives what a fresh load at that size gives once the page has handled
the resize (a11y.js marks the tables that scroll then), which `resize` waits for. axe-core is
in every document from its start (an init script, `audit_tab`), not fetched per load.
`test_axe_reports_a_planted_violation_in_every_variant` shows each variant's axe run still
reports what it should.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from accounts.context_processors import TEXT_SIZE_COOKIE
from tests.browser.audited_urls import AUDITED, PATHS, exemption_for
from tests.browser.conftest import sign_in_by_cookie
from tests.integration.shared_world import World
from tests.integration.test_url_permissions import named_urls
from tests.integration.url_rules import PERSONAS, RULES
from tests.topic_factories import collecting, discussing
from tests.vote_factories import open_vote

AXE_PATH = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe-4.14.1.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
ZOOMED = {"width": 195, "height": 422}  # a 390 px phone at 200 % zoom (WCAG 1.4.10 reflow)
BLOCKING = ("serious", "critical")

# The axe rules a page's width or text size can change; the others read only its markup:
# contrast (a text's size sets the contrast it needs), links told apart inside text, and the
# scroll regions a11y.js marks where a table does not fit (reachable by keyboard, valid ARIA).
LAYOUT_RULES = [
    "color-contrast",
    "link-in-text-block",
    "scrollable-region-focusable",
    "aria-allowed-attr",
    "aria-prohibited-attr",
]

OWN_CHECKS = (Path(__file__).parent / "a11y_checks.js").read_text()

# axe and our checks in one call. axe itself is in every document from its start (`audit_tab`).
AUDIT = """async ([rules, phone]) => {
  const options = {resultTypes: ["violations"]};
  if (rules) options.runOnly = {type: "rule", values: rules};
  const result = await axe.run(document, options);
  const axeProblems = result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + (n.failureSummary || "")
      .split("\\n").slice(1, 2).join(""))
  }));
  return [axeProblems, (OWN_CHECKS)(phone)];
}""".replace("OWN_CHECKS", OWN_CHECKS.strip())


def axe_context(browser, browser_context_args):
    """A browser context with axe-core in every document from its start: an init script, so
    no fetch of its 500 KB through the live server and no <script> tag per load."""
    context = browser.new_context(**browser_context_args)
    context.add_init_script(path=AXE_PATH)
    return context


@pytest.fixture(scope="module")
def audit_tab(browser, browser_context_args):
    """One browser tab for the whole audit, with axe in every document (`axe_context`). One
    tab, not one per test: the browser compiles axe once and starts no renderer per test; each
    test signs in afresh (`sign_in` clears the cookies).
    """
    context = axe_context(browser, browser_context_args)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def page(audit_tab):
    """The audit's tab, as a fresh test finds it: a blank page, no cookies, phone width."""
    audit_tab.goto("about:blank")
    audit_tab.context.clear_cookies()
    audit_tab.set_viewport_size(PHONE)
    return audit_tab


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
    if user is not None:
        sign_in_by_cookie(page, base_url, user)


def set_large_text(page, base_url, user, large):
    size = "large" if large else "normal"
    if user is not None:
        type(user).objects.filter(pk=user.pk).update(text_size=size)
    page.context.add_cookies([{"name": TEXT_SIZE_COOKIE, "value": size, "url": base_url}])


def audit(page, label, phone, rules=None):
    """axe (every rule, or only `rules`) and our own checks on the page as it is now."""
    axe, own = page.evaluate(AUDIT, [rules, phone])
    problems = [
        f"{label}: axe {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
        for v in axe
        if v["impact"] in BLOCKING
    ]
    return problems + [f"{label}: {p}" for p in own]


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
    problems += audit(page, f"{label} at 200% zoom, disclosures open", True, LAYOUT_RULES)

    set_large_text(page, base_url, user, True)
    page.set_viewport_size(PHONE)
    failed = load(page, base_url, url, persona)
    if failed:
        return problems + failed
    assert "text-large" in (page.locator("html").get_attribute("class") or "")
    problems += audit(page, f"{label} at 360px large text", True, LAYOUT_RULES)
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


@pytest.mark.django_db(transaction=True)
def test_the_large_text_switch_with_every_rule(page, live_server, community, resident):
    """Large text changes one piece of markup, base.html's text-size button: every rule on it."""
    sign_in(page, live_server.url, resident)
    set_large_text(page, live_server.url, resident, True)
    page.set_viewport_size(PHONE)
    assert not load(page, live_server.url, "/", "resident")
    expect(page.locator("button[name=text_size][aria-pressed=true]")).to_have_count(1)
    problems = audit(page, "the home page in large text", True)
    assert not problems, "\n".join(problems)


PLANTED = """document.addEventListener("DOMContentLoaded", () => {
  document.querySelector("main").insertAdjacentHTML("beforeend",
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="48" height="48">'
    + '<input type="text" name="planted"><p id="planted-faint">faint</p>'
    + '<details><summary>more</summary><p id="planted-hidden-faint">faint</p></details>');
  for (const faint of document.querySelectorAll("[id^=planted]")) {
    faint.style.color = "#d0d0d0";  // set from script: the CSP refuses style attributes
    faint.style.background = "#fff";
  }
});"""


@pytest.mark.django_db(transaction=True)
def test_axe_reports_a_planted_violation_in_every_variant(
    browser, browser_context_args, live_server
):
    """An image without alt, an unlabelled field and faint text, planted on every load."""
    context = axe_context(browser, browser_context_args)  # the plant stays in this one
    context.add_init_script(PLANTED)
    page = context.new_page()
    sign_in(page, live_server.url, None)
    url = "/accounts/login/"
    found = {}
    for line in audit_page(page, live_server.url, url, None, "anonymous", full=True):
        label, _, problem = line.partition(": ")
        variant = label.removeprefix(f"{url} as anonymous ")
        found[variant] = found.get(variant, "") + problem + "\n"
    every_rule = ("at 360px", "in English")
    layout_only = (
        "at 1280px",
        "at 200% zoom, disclosures open",
        "at 360px large text",
        "at 1280px large text",
    )
    assert set(found) == set(every_rule + layout_only), "\n".join(found.values())
    for variant in every_rule + layout_only:
        assert "axe serious color-contrast" in found[variant], variant
        assert "#planted-faint" in found[variant], variant
    for variant in every_rule:
        assert "axe critical image-alt" in found[variant], variant
        assert "axe critical label" in found[variant], variant
    for variant in ("at 200% zoom, disclosures open", "in English"):
        assert "#planted-hidden-faint" in found[variant], variant
    assert "#planted-hidden-faint" not in found["at 360px"]
    context.close()


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
