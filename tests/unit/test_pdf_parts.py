"""A document of independent sheets (the ballots) is printed in parts, one process per core,
and the parts joined: the same pages in the same order, each with its codes, as one process
prints; a part that fails or dies in its process is reported, never waited for forever."""

import os
import re
import signal

import pytest
from django.utils import translation

from deliberation.documents import contexts, pdf, samples
from plumbing.processes import PartFailed
from tests import pdf_checks


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def in_parts(monkeypatch):
    """Parts of two sheets or more, two processes: a small document shows the behaviour."""
    monkeypatch.setattr(pdf, "MIN_SHEETS_PER_PART", 2)
    monkeypatch.setattr(pdf, "document_processes", lambda: 2)


def ballots(count=5):
    return contexts.with_ballot_codes(samples.sample_ballots(count=count))


def printed_in_one_process(context, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(pdf, "document_processes", lambda: 1)
        return pdf.render_pdf("documents/ballots.html", context)


def test_ballots_printed_in_two_processes_are_the_pages_one_process_prints(in_parts, monkeypatch):
    context = ballots(5)
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    printed = pdf.render_pdf("documents/ballots.html", context)
    assert forks == [1]  # the second half was printed in another process
    expected = printed_in_one_process(context, monkeypatch)
    assert pdf_checks.page_texts(printed) == pdf_checks.page_texts(expected)
    reader = pdf_checks.reader(printed)
    for page, sheet in zip(reader.pages, context["sheets"], strict=True):
        assert len(re.findall(rb"/\S+ Do\b", page.get_contents().get_data())) == 1  # QR
        text = pdf_checks.squeeze(page.extract_text())
        assert "录入码" + sheet["short_code"] in text
        assert f"表决票编号{sheet['number']}" in text
    assert pdf_checks.tofu(printed) == []
    assert reader.metadata.title == pdf_checks.reader(expected).metadata.title
    assert reader.root_object["/Lang"] == "zh-Hans"  # what screen readers read it in
    assert len(reader.outline) == len(context["sheets"])  # one bookmark per sheet


def test_a_few_ballots_are_printed_in_this_process(monkeypatch):
    monkeypatch.setattr(pdf, "document_processes", lambda: 2)
    monkeypatch.setattr(os, "fork", pytest.fail)
    context = ballots(pdf.MIN_SHEETS_PER_PART * 2 - 1)
    pages = pdf_checks.page_texts(pdf.render_pdf("documents/ballots.html", context))
    assert len(pages) == len(context["sheets"])


def test_ballots_are_printed_in_this_process_while_every_core_is_busy(monkeypatch):
    monkeypatch.setattr(pdf, "MIN_SHEETS_PER_PART", 2)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(os, "getloadavg", lambda: (2.5, 2.0, 1.0))
    monkeypatch.setattr(os, "fork", pytest.fail)
    context = ballots(4)
    pages = pdf_checks.page_texts(pdf.render_pdf("documents/ballots.html", context))
    assert len(pages) == len(context["sheets"])
    monkeypatch.setattr(os, "getloadavg", lambda: (0.5, 0.5, 0.5))  # a core is free
    assert pdf.document_processes() == 2


def test_a_part_that_fails_in_its_process_is_reported(in_parts, monkeypatch):
    parent, render = os.getpid(), pdf._render

    def failing_in_the_child(html):
        if os.getpid() != parent:
            raise ValueError("the second half could not be laid out")
        return render(html)

    monkeypatch.setattr(pdf, "_render", failing_in_the_child)
    with pytest.raises(PartFailed, match="(?s)part 2: .*the second half could not be laid out"):
        pdf.render_pdf("documents/ballots.html", ballots(4))
    assert_no_child_left()


def test_a_part_whose_process_dies_is_reported(in_parts, monkeypatch):
    parent, render = os.getpid(), pdf._render

    def killed_in_the_child(html):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return render(html)

    monkeypatch.setattr(pdf, "_render", killed_in_the_child)
    with pytest.raises(PartFailed, match="part 2: the process ended with status -9"):
        pdf.render_pdf("documents/ballots.html", ballots(4))
    assert_no_child_left()


def test_when_this_process_fails_its_part_the_other_process_is_ended(in_parts, monkeypatch):
    parent, render = os.getpid(), pdf._render

    def failing_here(html):
        if os.getpid() == parent:
            raise ValueError("the first half could not be laid out")
        return render(html)

    monkeypatch.setattr(pdf, "_render", failing_here)
    with pytest.raises(ValueError, match="first half"):
        pdf.render_pdf("documents/ballots.html", ballots(4))
    assert_no_child_left()


def assert_no_child_left():
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
