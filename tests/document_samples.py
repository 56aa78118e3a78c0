"""Each printed document once, with the sample data the documents' own tests print from."""

from deliberation.documents import contexts, samples
from meetings.records import prepare_meeting_record


def documents():
    """{name: (template, context)} for the minutes, hearing record, vote result, ballots and
    notice."""
    return {
        "minutes": (
            "documents/minutes.html",
            prepare_meeting_record(samples.sample_minutes(pages=3)),
        ),
        "hearing": (
            "documents/hearing_record.html",
            prepare_meeting_record(samples.sample_hearing()),
        ),
        "vote_result": ("documents/vote_result.html", samples.sample_vote_result()),
        "ballots": (
            "documents/ballots.html",
            contexts.with_ballot_codes(samples.sample_ballots(count=3)),
        ),
        "notice": ("documents/notice.html", samples.sample_notice()),
    }
