"""Walking the site as a reader: every same-site link followed from the home page, and the text
a reader sees or hears on each page, with people's own content told apart from the platform's.

Used by tests/integration/test_demo.py, which walks the demo estate in English and in Chinese.
Chinese is allowed in English only where it is someone's content: what people typed and what
the register holds (names, titles, comments, building names…), read from the database; text
marked lang="zh-Hans"; and the Chinese terms the English source texts name on purpose (督办, the
register's 登记/测绘 values, taken from the msgids of the catalogue). Texts the platform writes
itself (notifications, notices' generated lines, automatic 督办 notes) are not taken as content,
so a generated text stored in Chinese fails the walk.
"""

import functools
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import Resolver404, resolve

from deliberation.notices import mask_name, mask_text

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
# Texts the platform generates: never exempt as "content".
GENERATED_FIELDS = {
    ("deliberation", "notification", "text"),
    ("deliberation", "notice", "title"),
    ("deliberation", "notice", "body"),
    ("deliberation", "supervisionnote", "text"),
}
# Not pages: files (a notice's PDF is at …/notices/<id>/pdf, without the suffix), the logout.
SKIP_PATH = re.compile(r"(\.xlsx|\.pdf|/pdf$|\.json|/download/|/logout/|/photo|/qr|/media)", re.I)
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
    """(text, links) of a page."""
    return _visible_text(html, every_language)


@functools.lru_cache(maxsize=4)
def _visible_text(html, every_language):
    """The last few pages read are kept: the walk and its test both read the page they are on."""
    parser = VisibleText(every_language=every_language)
    parser.feed(html)
    return "\n".join(" ".join(p.split()) for p in parser.parts), tuple(parser.links)


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
        _text, links = visible_text(response.content.decode(), every_language=every_language)
        for href in links:
            target = urldefrag(urljoin(url, href))[0]
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            if SKIP_PATH.search(parts.path) or parts.path.startswith("/admin"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                queue.append(local)
