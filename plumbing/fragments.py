"""Cached HTML fragments that every member with the same view of a page sees alike.

A fragment depends on version counters of what it shows (`comments:<topic>`, `topic:<topic>`,
`topics:<community>`, `notices:<community>`); its key holds the language, the time zone, the
release and whatever else changes its markup (page number, filters, audience such as "may
moderate"). The services that change the content call `bump()`. A stored fragment carries the
counters it was rendered under, and `fetch()` reads fragments and current counters in one
cache round trip: a fragment whose counters moved on is a miss, so a change shows at once.
Fragments expire after `TIMEOUT`. Nothing personal goes in a fragment: views fill the few
personal bits (CSRF token, "I agreed") into placeholders with `personalise()`.

Counters live in the same cache as the fragments, so several processes must share it (Redis,
as REDIS_URL gives; the default in-memory cache is per process, fine for one). A counter that
is missing (evicted, cache flushed) starts again from the current time in nanoseconds, a value
no fragment was ever stored under.

docs/topics.md lists the fragments and who bumps what.
"""

import functools
import hashlib
import re
import time

import django
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

# Bounds what the counters cannot see: a member renaming themselves, an edit in the admin.
TIMEOUT = 600
COUNTER_TIMEOUT = 7 * 24 * 3600
LOCAL_ENTRIES = 512

# Placeholders for what differs per member. `<` never survives escaping, so text that members
# wrote cannot forge one.
PLACEHOLDER = re.compile(r"<(csrf|agree|thanks)(?: (\d+))?>")


def _counter(scope, pk):
    return f"fragver:{scope}:{pk}"


def bump(scope, pk):
    """Make every fragment showing `scope` of `pk` stale.

    Bumped now, so later reads in this transaction miss, and again after commit, so a page
    rendered from the old rows while the change was still uncommitted is not reused.
    """
    _incr(_counter(scope, pk))
    transaction.on_commit(lambda: _incr(_counter(scope, pk)))


def _incr(key):
    try:
        cache.incr(key)
    except ValueError:  # missing: any fresh value no fragment was stored under will do
        cache.add(key, time.time_ns(), COUNTER_TIMEOUT)


@functools.cache
def _release():
    """Changes whenever templates, catalogues or Django change, so a deploy starts afresh
    (the cache outlives processes) and two releases side by side never share fragments."""
    digest = hashlib.blake2b(django.get_version().encode(), digest_size=8)
    for folder in ("templates", "locale"):
        for path in sorted((settings.BASE_DIR / folder).rglob("*")):
            if path.suffix in (".html", ".mo"):
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _key(name, parts):
    raw = "|".join(
        str(p)
        for p in (
            _release(),
            translation.get_language(),
            timezone.get_current_timezone_name(),
            *parts,
        )
    )
    return f"frag:{name}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"


class Fragment:
    """One cached fragment: `name`, the `(scope, pk)` counters it shows, and key `parts`.

    After `fetch()`, `value` is the cached value (None on a miss); `store(value)` caches it
    under the counters read by `fetch()`, which must come before the database reads.
    """

    def __init__(self, name, scopes, *parts):
        self.key = _key(name, (*scopes, *parts))  # the scopes' ids keep topics apart
        self.counters = [_counter(scope, pk) for scope, pk in scopes]
        self.versions = None
        self.value = None

    def store(self, value, timeout=TIMEOUT):
        cache.set(self.key, (self.versions, value), timeout)
        self.value = value
        return value


def fetch(*fragments):
    """Read the fragments and their counters in one cache round trip; returns the values."""
    counters = {c for fragment in fragments for c in fragment.counters}
    found = cache.get_many([*counters, *(f.key for f in fragments)])
    for counter in counters - found.keys():
        start = time.time_ns()
        found[counter] = start if cache.add(counter, start, COUNTER_TIMEOUT) else cache.get(counter)
    for fragment in fragments:
        fragment.versions = [found[c] for c in fragment.counters]
        stored = found.get(fragment.key)
        fragment.value = stored[1] if stored and stored[0] == fragment.versions else None
    return [fragment.value for fragment in fragments]


# Fragments that change only with a release (blank forms, filter fields): kept in the process.
_local = {}


def local(name, parts, render):
    """`render()`, remembered in this process per release, language and `parts`."""
    key = _key(name, parts)
    value = _local.get(key)
    if value is None:
        if len(_local) >= LOCAL_ENTRIES:
            _local.clear()
        value = _local[key] = render()
    return value


def form_html(form, template="includes/form.html"):
    """A form rendered by `template`; a blank one (unbound, no initial) is remembered per class
    and language, since its fields, labels and choices are the same for everyone."""
    render = functools.partial(render_to_string, template, {"form": form})
    if form.is_bound or form.initial:
        return render()
    cls = type(form)
    return local("form", (cls.__module__, cls.__qualname__, form.prefix, form.auto_id), render)


def personalise(html, csrf_token, pressed=frozenset()):
    """Fill the placeholders: the member's CSRF token, and aria-pressed for their reactions.

    `pressed` holds `(comment_id, kind)` pairs of the reactions this member has set.
    """

    def fill(match):
        kind, pk = match.groups()
        if kind == "csrf":
            return csrf_token
        return "true" if (int(pk), kind) in pressed else "false"

    return PLACEHOLDER.sub(fill, html)


class PageLinks:
    """What the pagination includes read, from numbers kept in a cached entry."""

    def __init__(self, number, num_pages=None, has_next=None, items=()):
        self.number = number
        self.object_list = list(items)
        self.has_next = has_next if has_next is not None else number < (num_pages or 1)
        self.has_previous = number > 1
        self.has_other_pages = self.has_next or self.has_previous
        self.paginator = _Counts(num_pages)

    def __iter__(self):
        return iter(self.object_list)

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1


def peek_page(queryset, number, size):
    """Page `number` (from 1) of `queryset` without a COUNT query: one row more is fetched to
    know whether there is a next page."""
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return PageLinks(number, has_next=len(rows) > size, items=rows[:size])


class _Counts:
    def __init__(self, num_pages):
        self.num_pages = num_pages


def requested_page(value):
    """The page number asked for, as Paginator.get_page reads it (1 when not a number)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1
