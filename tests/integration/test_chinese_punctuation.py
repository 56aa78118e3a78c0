"""Labels read as Chinese in Chinese: a label the platform writes is followed by the full-width
colon "：", never the ASCII ":" that belongs to English text. Walked over the demo's pages
as the personas who see the most labels; people's own words are left as they typed them."""

import re

import pytest
from django.test import Client

from accounts.models import User
from deliberation.demo.registry import PERSONAS
from tests.integration.test_english_pages import content_strings, demo, visible_text, walk

pytestmark = pytest.mark.django_db

__all__ = ["demo"]  # the module-scoped demo estate, shared with the English walk

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
