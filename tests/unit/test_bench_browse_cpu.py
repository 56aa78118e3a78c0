"""The in-process CPU benchmark measures the same mix as the browsing load (run by hand)."""

from bench import browse, browse_cpu


def test_it_measures_each_page_of_the_browsing_mix_with_its_weight():
    pages = browse_cpu.pages(3, 5, list(range(6, 40)))
    assert [(label, weight) for label, weight, _urls in pages] == browse.MIX


def test_it_asks_for_the_same_kind_of_url_as_the_load():
    urls = {label: urls for label, _weight, urls in browse_cpu.pages(3, 5, [6, 7])}
    assert urls["busy topic"] == ["/topics/5/"]
    assert urls["notice board"] == ["/c/3/notices/"] and urls["home"] == ["/"]
    assert all(url.startswith("/c/3/topics/") for url in urls["topic list, category + page"])
