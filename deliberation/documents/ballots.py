"""A whole vote's paper ballots, printed in the background: one PDF per building, one for all.

Each building is a part of the job with its own task (deliberation.jobs.SPLIT), so as many
workers as there are print buildings at once. Each building's PDF is stored as soon as it is
rendered, and the estate's PDF is those files put together when the last is stored, so a
worker stopped midway leaves the stored buildings as they are, the job resumes with the
others, and nothing is printed twice.
"""

import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deliberation.documents.contexts import ballot_sheets_document, with_ballot_codes
from deliberation.documents.storage import publish_document, read_document, stored_document
from deliberation.jobs import JobError
from deliberation.messages import Message
from deliberation.models import AssemblyVote, DocumentKind, ElectorateEntry, StoredDocument

SOURCE_TYPE = "deliberation.assemblyvote"
AMENDED = Message(
    gettext_noop("The electorate was amended after printing was started. Start printing again.")
)


def ballots_version(vote):
    """Amending the frozen electorate changes the sheets: each version is printed once."""
    return f"{vote.pk}.{vote.amendments.count()}"


def estate_source(version):
    return (SOURCE_TYPE, version)


def building_source(version, building_id):
    return (SOURCE_TYPE, f"{version}.b{building_id}")


def sheets_by_building(vote):
    """[(building_id, building_name, sheets)] in print order; each head's sheet goes to the
    building of its first unit, so nobody gets two sheets."""
    from deliberation.services.votes import ballot_sheets

    document = ballot_sheets_document(vote, ballot_sheets(vote))
    building_of = {}
    names = {}
    for row in (
        ElectorateEntry.objects.filter(vote=vote)
        .order_by("building_name", "unit_label")
        .values_list("head", "building_id", "building_name")
    ):
        building_of.setdefault(row[0], row[1])
        names.setdefault(row[1], row[2])
    groups = {building_id: [] for building_id in names}
    for number, sheet in enumerate(document["sheets"], start=1):
        groups[building_of[sheet["head"]]].append({**sheet, "number": number})
    return document, [(b, names[b], sheets) for b, sheets in groups.items() if sheets]


def _vote_of(job):
    vote = (
        AssemblyVote.objects.select_related("community", "estate")
        .filter(pk=job.params["vote_id"])
        .first()
    )
    if vote is None:
        raise JobError(Message(gettext_noop("This vote no longer exists.")), retry=False)
    if ballots_version(vote) != job.params["version"]:
        raise JobError(AMENDED, retry=False)
    return vote


class BallotsWork:
    """A split job (deliberation.jobs.SPLIT): one part per building, each its own task, so
    N workers print N buildings at once; the last one joins the estate's PDF."""

    def plan(self, job):
        _document, buildings = sheets_by_building(_vote_of(job))
        return [(building_id, len(sheets)) for building_id, _name, sheets in buildings]

    def run_part(self, job, key):
        vote = _vote_of(job)
        document, buildings = sheets_by_building(vote)
        found = [b for b in buildings if str(b[0]) == key]
        if not found:
            raise JobError(AMENDED, retry=False)
        building_id, name, sheets = found[0]
        stored = publish_document(
            kind=DocumentKind.BALLOTS,
            source=building_source(job.params["version"], building_id),
            community=vote.community,
            title=_("Ballots: %(title)s, %(building)s") % {"title": vote.title, "building": name},
            template_name="documents/ballots.html",
            context=with_ballot_codes({**document, "sheets": sheets}),
            by=job.started_by,
        )
        return {"label": name, "document": stored.pk}

    def finish(self, job, results):
        """The estate's PDF: the buildings' stored files put together, in print order."""
        vote = _vote_of(job)
        version = job.params["version"]
        estate = stored_document(DocumentKind.BALLOTS, estate_source(version))
        if estate is None:
            from pypdf import PdfWriter  # here: the request that starts printing needs none

            parts = StoredDocument.objects.in_bulk([r["document"] for r in results])
            writer = PdfWriter()
            for result in results:
                writer.append(io.BytesIO(read_document(parts[result["document"]])))
            buffer = io.BytesIO()
            writer.write(buffer)
            estate = publish_document(
                kind=DocumentKind.BALLOTS,
                source=estate_source(version),
                community=vote.community,
                title=_("Ballots: %(title)s") % {"title": vote.title},
                pdf=buffer.getvalue(),
                by=job.started_by,
            )
        return [*results, {"label": "", "all": True, "document": estate.pk}]


BALLOTS = BallotsWork()
