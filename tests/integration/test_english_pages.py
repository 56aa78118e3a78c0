"""Every page of the demo, read in English by each demo persona, is in English; read in Chinese,
its labels take Chinese punctuation.

The walk starts at the home page and follows every link on the site (as each persona, and as
a visitor), so a new page is walked as soon as something links to it. Chinese is allowed only
where it is someone's content: what people typed and what the register holds (names, titles,
comments, building names…), read from the database; text marked lang="zh-Hans"; and the
Chinese terms the English source texts name on purpose (督办, the register's 登记/测绘 values,
taken from the msgids of the catalogue). Texts the
platform writes itself (notifications, notices' generated lines, automatic 督办 notes) are not
taken as content, so a generated text stored in Chinese fails the walk.
"""

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import Resolver404, resolve

from accounts.models import User
from deliberation.demo.registry import PERSONAS
from deliberation.models import AuditEntry
from deliberation.notices import mask_name, mask_text

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
# Texts the platform generates: never exempt as "content".
GENERATED_FIELDS = {
    ("deliberation", "notification", "text"),
    ("deliberation", "notice", "title"),
    ("deliberation", "notice", "body"),
    ("deliberation", "supervisionnote", "text"),
}
SKIP_PATH = re.compile(r"(\.xlsx|\.pdf|\.json|/download/|/logout/|/photo|/qr|/media)", re.I)
PAGES_PER_NAME = 4  # pages of one URL pattern per persona: enough to see each template
ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "aria-description")


class VisibleText(HTMLParser):
    """Text a reader sees or hears, minus anything inside an element marked lang="zh…"."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self, *, every_language=False):
        super().__init__(convert_charrefs=True)
        self.parts, self.links, self.stack = [], [], []
        self.every_language = every_language  # read a Chinese page: nothing is set apart

    def _quiet(self):
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        zh = not self.every_language and (attrs.get("lang") or "").lower().startswith("zh")
        hidden = tag in ("script", "style")
        if tag not in self.VOID:
            self.stack.append(zh or hidden)
        if self._quiet() or zh:
            return
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ATTRIBUTES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self._quiet() and data.strip():
            self.parts.append(data)


def content_strings():
    """Every Chinese string people entered or the register holds, longest first."""
    found = set()
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in ("deliberation", "meetings", "accounts"):
            continue
        fields = [
            f.name
            for f in meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
            and not f.choices
            and (meta.app_label, meta.model_name, f.name) not in GENERATED_FIELDS
        ]
        for name in fields:
            for value in model.objects.values_list(name, flat=True).distinct():
                if value and CJK.search(value):
                    found.add(value)
    supervision = apps.get_model("deliberation", "SupervisionNote")
    found |= set(supervision.objects.exclude(kind="overdue").values_list("text", flat=True))
    audit = apps.get_model("deliberation", "AuditEntry")
    for data in audit.objects.values_list("data", flat=True):
        found |= {v for v in (data or {}).values() if isinstance(v, str) and CJK.search(v)}
    derived = set()
    for value in found:
        derived.add(mask_text(value))
        derived.add(mask_name(value))
        derived.update(line.strip() for line in value.splitlines() if line.strip())
    return sorted((found | derived) - {""}, key=len, reverse=True)


def terms_named_in_english_msgids():
    catalogue = (settings.BASE_DIR / "locale/zh_Hans/LC_MESSAGES/django.po").read_text()
    msgids = re.findall(r'^msgid "(.*)"$', catalogue, re.M)
    return {term for msgid in msgids for term in CJK.findall(msgid)}


TERMS = terms_named_in_english_msgids()


def visible_text(html, *, every_language=False):
    parser = VisibleText(every_language=every_language)
    parser.feed(html)
    return "\n".join(" ".join(p.split()) for p in parser.parts), parser.links


def non_content_chinese(html, content):
    text, links = visible_text(html)
    for value in content:
        if value in text:
            text = text.replace(value, " ")
        flat = " ".join(value.split())
        if flat != value and flat in text:
            text = text.replace(flat, " ")
    return [t for t in CJK.findall(text) if t not in TERMS], links


def walk(client, start="/", *, every_language=False):
    """Follow every same-site link from `start`; yield (url, response) for each HTML page."""
    queue, seen, per_name = [start], set(), Counter()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        try:
            name = resolve(path).url_name or path
        except Resolver404:
            continue
        if per_name[name] >= PAGES_PER_NAME:
            continue
        per_name[name] += 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        yield url, response
        parser = VisibleText(every_language=every_language)
        parser.feed(response.content.decode())
        for href in parser.links:
            target = urldefrag(urljoin(url, href))[0]
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            if SKIP_PATH.search(parts.path) or parts.path.startswith("/admin"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                queue.append(local)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", verbosity=0)
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.parametrize("persona", ["anonymous"] + [p[0] for p in PERSONAS])
def test_every_page_reads_in_english(persona, demo):
    client = Client()
    client.cookies["django_language"] = "en"
    if persona != "anonymous":
        phone = next(p[1] for p in PERSONAS if p[0] == persona)
        client.force_login(User.objects.get(phone="+86" + phone))
    content = content_strings()
    # The audit log's event codes (topic.rate, task.claim…) are for machines, never for readers.
    codes = set(AuditEntry.objects.values_list("verb", flat=True).distinct())
    problems, pages = [], 0
    for url, response in walk(client):
        pages += 1
        html = response.content.decode()
        chinese, _links = non_content_chinese(html, content)
        if chinese:
            problems.append(f"{url}: {' | '.join(sorted(set(chinese))[:8])}")
        text, _links = visible_text(html)
        raw = sorted(c for c in codes if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", text))
        if raw:
            problems.append(f"{url}: raw codes {', '.join(raw)}")
    assert pages >= (3 if persona == "anonymous" else 10), f"only {pages} pages reached"
    assert not problems, f"Chinese that is not anyone's content, as {persona}:\n" + "\n".join(
        problems
    )


# Labels read as Chinese in Chinese: a label the platform writes is followed by the full-width
# colon "：", never the ASCII ":" of English text. Walked as the personas who see the most
# labels, on the same demo estate; people's own words are left as they typed them.
HALF_WIDTH_COLON = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uff09）]:")


@pytest.mark.parametrize("persona", ["committee", "chair", "owner"])
def test_labels_end_in_a_full_width_colon_in_chinese(persona, demo):
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    phone = next(p[1] for p in PERSONAS if p[0] == persona)
    client.force_login(User.objects.get(phone="+86" + phone))
    content = content_strings()
    problems, pages = [], 0
    for url, response in walk(client, every_language=True):
        pages += 1
        text, _links = visible_text(response.content.decode(), every_language=True)
        for value in content:
            text = text.replace(value, " ")
        for match in HALF_WIDTH_COLON.finditer(text):
            problems.append(f"{url}: …{text[max(0, match.start() - 12) : match.end() + 8]}…")
    assert pages >= 10, f"only {pages} pages reached"
    assert not problems, "ASCII colons after Chinese labels:\n" + "\n".join(problems[:40])
