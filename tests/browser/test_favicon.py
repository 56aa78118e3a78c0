"""Every page names its icon, so a phone's browser does not ask for a missing /favicon.ico."""

from tests.browser.conftest import log_in


def icon_response(page, url):
    with page.expect_response(lambda r: "favicon" in r.url) as answer:
        page.goto(url)
    return answer.value


def test_the_browser_finds_the_site_icon(desktop_page, live_server, resident):
    page = desktop_page
    response = icon_response(page, live_server.url + "/")  # the welcome page, signed out
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/simple/")
    href = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(live_server.url + href).status == 200
