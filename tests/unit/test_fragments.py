"""plumbing.fragments: version counters, one-round-trip reads, placeholders."""

import pytest
from django.core.cache import cache
from django.utils import translation

from plumbing import fragments


def cached(name="rows", scopes=(("topics", 1),), *parts):
    fragment = fragments.Fragment(name, list(scopes), *parts)
    fragments.fetch(fragment)
    return fragment


@pytest.mark.django_db  # bump() also waits for the commit
def test_a_stored_fragment_is_read_back_until_its_counter_moves():
    cached().store("<p>rows</p>")
    assert cached().value == "<p>rows</p>"
    fragments.bump("topics", 1)
    assert cached().value is None


@pytest.mark.django_db  # bump() also waits for the commit
def test_a_bump_elsewhere_leaves_the_fragment_alone():
    cached().store("<p>rows</p>")
    fragments.bump("topics", 2)
    fragments.bump("comments", 1)
    assert cached().value == "<p>rows</p>"


def test_an_evicted_counter_never_brings_back_an_old_fragment():
    cached().store("<p>old</p>")
    cache.delete("fragver:topics:1")
    assert cached().value is None


def test_fragments_differ_by_scope_id_parts_and_language():
    cached().store("<p>community 1, page 1</p>")
    assert cached("rows", [("topics", 2)]).value is None
    assert cached("rows", [("topics", 1)], 2).value is None
    with translation.override("en"):
        assert cached().value is None


def test_placeholders_take_the_members_token_and_reactions():
    html = '<input value="<csrf>"><b aria-pressed="<agree 7>"></b><b aria-pressed="<thanks 7>">'
    filled = fragments.personalise(html, "TOKEN", frozenset({(7, "agree")}))
    assert filled == '<input value="TOKEN"><b aria-pressed="true"></b><b aria-pressed="false">'


def test_page_links_read_like_a_paginator_page():
    links = fragments.PageLinks(2, num_pages=3)
    assert links.has_previous and links.has_next and links.has_other_pages
    assert (links.previous_page_number(), links.next_page_number()) == (1, 3)
    assert not fragments.PageLinks(1, num_pages=1).has_other_pages
    assert fragments.requested_page("x") == 1 and fragments.requested_page("4") == 4


@pytest.mark.django_db
def test_a_page_rendered_before_the_change_commits_is_not_reused(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as committed:
        fragments.bump("topics", 1)
        cached().store("<p>rows read before the commit</p>")  # another request, meanwhile
    for callback in committed:
        callback()
    assert cached().value is None
