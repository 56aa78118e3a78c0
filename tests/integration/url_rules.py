"""Who gets what from every named URL: the table behind test_url_permissions.py.

Every named URL pattern in the URL conf must appear in RULES (how to build its kwargs, which
method reaches it, and the status each persona gets) or in EXEMPT (with the reason). A new view
without a row fails the test, with a message saying to add the row here.

Expected statuses: an int, a tuple of ints, or LOGIN (anonymous visitors are sent to the login
page). Personas are the fixtures of tests/conftest.py plus "anonymous".

    "topic_detail": Rule(kwargs=lambda w: {"topic_id": w.topic().pk},
                         expect=members(ALL_MEMBERS)),

`members(allowed)` is the house pattern: anonymous → login, outsiders and strangers → 404,
members with the role → 200, other members → 403.
"""

from dataclasses import dataclass, field

LOGIN = "login"
OK = 200
FORM_DONE = (200, 302)  # a POST either re-renders with errors or redirects after success

PERSONAS = (
    "anonymous",
    "stranger",
    "outsider",
    "resident",
    "owner",
    "grid_worker",
    "community_worker",
    "committee_member",
    "chair",
    "partner",
    "observer",
)
ALL_MEMBERS = frozenset(PERSONAS[3:])
SIGNED_IN = frozenset(PERSONAS[1:])
STAFF = frozenset({"community_worker", "chair"})
OWNERS = frozenset({"owner", "committee_member"})
RESIDENTS = frozenset({"resident", "owner", "committee_member"})


def members(allowed=ALL_MEMBERS, ok=OK):
    """Community-scoped page: outsiders 404, members without the role 403."""
    expect = {"anonymous": LOGIN, "stranger": 404, "outsider": 404}
    for persona in ALL_MEMBERS:
        expect[persona] = ok if persona in allowed else 403
    return expect


def signed_in(ok=OK):
    """Personal page: any signed-in person, anonymous visitors go to the login page."""
    return {"anonymous": LOGIN} | {persona: ok for persona in SIGNED_IN}


def public(ok=OK):
    return {persona: ok for persona in PERSONAS}


@dataclass(frozen=True)
class Rule:
    expect: dict
    kwargs: object = None  # callable(world) -> dict of URL kwargs
    method: str = "get"
    data: object = None  # callable(world) -> POST data
    methods: tuple = ("get", "head")  # methods the view accepts; "delete" must give 405
    query: str = ""  # appended to the URL
    html: bool = True  # a page whose HTML the security test inspects
    notes: str = field(default="", compare=False)


def community_kwargs(world):
    return {"community_id": world.community.pk}


def pending_claim(world):
    from deliberation.models import FlatClaim, Unit

    def make():
        unit = Unit.objects.filter(building__estate__community=world.community).first()
        return FlatClaim.objects.create(
            community=world.community, user=world.stranger, unit=unit, name="x", status="pending"
        )

    return world.once("flat_claim", make)


RULES = {
    # Foundation
    "home": Rule(expect=public()),
    "healthz": Rule(expect=public(), html=False),
    "my_units": Rule(expect=signed_in()),
    "flat_claim": Rule(expect=signed_in(), methods=("get", "head", "post")),
    "flat_claims": Rule(kwargs=community_kwargs, expect=members({"community_worker"})),
    "flat_claim_answer": Rule(
        kwargs=lambda w: {"community_id": w.community.pk, "claim_id": pending_claim(w).pk},
        method="post",
        methods=("post",),
        data=lambda w: {"action": "decline", "reason": "请带房产证来社区"},
        expect=members({"community_worker"}, ok=302),
        html=False,
    ),
    "community_detail": Rule(kwargs=community_kwargs, expect=members()),
    "registry": Rule(
        kwargs=community_kwargs, expect=members(STAFF | {"observer"}), query="?estate=1"
    ),
    "register_import": Rule(
        kwargs=community_kwargs,
        expect=members({"community_worker"}),
        methods=("get", "head", "post"),
    ),
    "register_template": Rule(
        kwargs=community_kwargs, expect=members({"community_worker"}), html=False
    ),
    "register_export": Rule(kwargs=community_kwargs, expect=members(STAFF), html=False),
    # Accounts
    "profile": Rule(expect=signed_in(), methods=("get", "head", "post")),
    "set_preferences": Rule(
        method="post",
        methods=("post",),
        data=lambda w: {"text_size": "large", "next": "/"},
        expect={persona: 302 for persona in PERSONAS},
        html=False,
    ),
    "my_data": Rule(expect=signed_in(), methods=("get", "head")),
    "my_data_download": Rule(expect=signed_in(), methods=("get", "head"), html=False),
    # Simple mode
    "simple_home": Rule(expect=signed_in()),
    "simple_matters": Rule(expect=signed_in()),
    "simple_votes": Rule(expect=signed_in()),
    "simple_notices": Rule(expect=signed_in()),
    # Raising a matter needs a community where the person may propose; others are sent back.
    "simple_propose": Rule(
        expect={"anonymous": LOGIN}
        | {
            p: OK if p in RESIDENTS | STAFF | {"grid_worker", "outsider"} else 302
            for p in SIGNED_IN
        },
        methods=("get", "head", "post"),
    ),
}

# Names (or "namespace:" prefixes, or name prefixes ending in "*") not in the matrix, and why.
EXEMPT = {
    "admin:": "Django admin: staff accounts only, guarded by Django's own permission checks.",
    "set_language": "Django's i18n view; the site uses set_preferences, which also remembers it.",
    "account_*": "django-allauth's sign-in, sign-up and password views: public by design, "
    "rate-limited by ACCOUNT_RATE_LIMITS; tested in test_security.py.",
    "sms_status": "The SMS gateway's delivery reports: called by the gateway, not a person; "
    "authenticated by the secret token in its URL; tested in test_sms_gateway.py.",
}


def exemption_for(name):
    for key, reason in EXEMPT.items():
        if key == name or (key.endswith(":") and name.startswith(key)):
            return reason
        if key.endswith("*") and name.startswith(key[:-1]):
            return reason
    return None


# 办 and 评: tasks, co-building units, ratings, visits, the KPI dashboards
def _execution_rules():
    from tests import factories_execution as fx

    form = ("get", "head", "post")
    kpi = members(STAFF | {"observer", "grid_worker"})
    street = members({"observer"})
    return {
        "task_list": Rule(kwargs=community_kwargs, expect=members(), query="?show=all"),
        "task_detail": Rule(
            kwargs=lambda w: {"task_id": fx.world_task(w).pk}, expect=members(), methods=form
        ),
        "task_photo": Rule(
            kwargs=lambda w: {"task_id": fx.world_task(w).pk, "photo_id": fx.world_photo(w).pk},
            expect=members(),
            html=False,
        ),
        "topic_tasks": Rule(
            kwargs=lambda w: {"topic_id": fx.world_task(w).topic_id}, expect=members(), methods=form
        ),
        "task_new": Rule(
            kwargs=lambda w: {"topic_id": fx.world_decided_topic(w).pk},
            expect=members(STAFF | {"committee_member"}),
            methods=form,
        ),
        "topic_rate": Rule(
            kwargs=lambda w: {"topic_id": fx.world_evaluating_topic(w).pk},
            expect=members(RESIDENTS),
            methods=form,
        ),
        "visit_new": Rule(
            kwargs=lambda w: {"topic_id": fx.world_evaluating_topic(w).pk},
            expect=members(STAFF | {"grid_worker"}),
            methods=form,
        ),
        "topic_reopen": Rule(
            kwargs=lambda w: {"topic_id": fx.world_evaluating_topic(w).pk},
            expect=members(STAFF | {"grid_worker"}),
            methods=form,
        ),
        "partner_list": Rule(kwargs=community_kwargs, expect=members(), methods=form),
        "order_service": Rule(
            kwargs=lambda w: {"offering_id": fx.world_offering(w).pk},
            expect=members(RESIDENTS),
            methods=form,
        ),
        "dashboard": Rule(kwargs=community_kwargs, expect=kpi),
        "street_dashboard": Rule(
            kwargs=lambda w: {"street_office_id": fx.world_street_office(w).pk}, expect=street
        ),
    }


RULES.update(_execution_rules())


# Meetings and the live room
def _meeting_rules():
    from meetings.models import Status
    from tests.meeting_factories import make_meeting

    form = ("get", "head", "post")
    officers = frozenset({"chair", "community_worker"})  # the chair and the secretary
    seated = officers | {"owner", "resident"}

    def meeting(w, key="live", status=Status.LIVE):
        return w.once(
            f"meeting_{key}",
            lambda: make_meeting(
                w.community,
                w.chair,
                secretary=w.community_worker,
                participants=[w.owner, w.resident],
                status=status,
            ),
        )

    def live(w):
        return {"meeting_id": meeting(w).pk}

    def noticed(w):
        def make():
            # Noticed without the room's broadcast (no event loop here): its invitation is
            # served, so its paper slips exist.
            from deliberation.models import NoticeKind
            from deliberation.notices import publish_notice
            from meetings.delivery import serve_invitation

            noticed = meeting(w, "noticed", Status.NOTICED)
            noticed.notice = publish_notice(
                community=w.community,
                kind=NoticeKind.MEETING,
                title=noticed.title,
                body=["议程见会议页面"],
                by=w.chair,
                source=noticed,
            )
            noticed.save(update_fields=["notice"])
            serve_invitation(noticed, by=w.chair)
            return noticed

        return w.once("meeting_noticed", make)

    return {
        "meeting_list": Rule(expect=signed_in()),
        "meeting_create": Rule(
            kwargs=community_kwargs, expect=members(STAFF | {"committee_member"}), methods=form
        ),
        "meeting_detail": Rule(kwargs=live, expect=members()),
        "meeting_prepare": Rule(
            kwargs=lambda w: {
                "meeting_id": meeting(w, "draft", Status.DRAFT).pk,
                "step": "items",
            },
            method="post",
            methods=("post",),
            data=lambda w: {"title": "新议程"},
            expect=members(officers, ok=302),
            html=False,
        ),
        "meeting_room": Rule(kwargs=live, expect=members(seated), methods=form),
        "meeting_qr": Rule(kwargs=live, expect=members(officers), html=False),
        "meeting_attendance": Rule(kwargs=live, expect=members(officers), methods=form),
        "meeting_checkin": Rule(
            kwargs=lambda w: {"meeting_id": meeting(w).pk, "token": meeting(w).checkin_token},
            expect=members(),
            methods=form,
        ),
        "meeting_minutes": Rule(kwargs=live, expect=members(), methods=form),
        "meeting_delivery": Rule(
            kwargs=lambda w: {"meeting_id": noticed(w).pk},
            expect=members(officers | STAFF),
            methods=form,
        ),
        "meeting_delivery_print": Rule(
            kwargs=lambda w: {"meeting_id": noticed(w).pk, "message": "invitation"},
            expect=members(officers | STAFF),
        ),
        "meeting_paper": Rule(
            kwargs=lambda w: {"meeting_id": meeting(w, "signed", Status.SIGNED).pk},
            expect=members(officers),
        ),
    }


RULES.update(_meeting_rules())


def _vote_rules():
    """Owners' assembly votes: one vote per state, built through the real services."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from deliberation.models import Candidate, MatterKind, PlanStatus
    from deliberation.services import votes as svc
    from deliberation.uploads import store_private
    from tests import vote_factories as vf
    from tests.pdfs import make_pdf

    runners = STAFF | {"committee_member"}

    def draft(w):
        return w.once(
            "vote:draft",
            lambda: vf.convene(
                w.community,
                w.committee_member,
                matters=[("elect_committee", MatterKind.ELECTION, 5, ["甲", "乙"])],
            ),
        )

    def teller_vote(w, state):
        def build():
            vote = vf.publish(vf.convene(w.community, w.committee_member), w.committee_member)
            svc.appoint_teller(vote, w.community_worker, by=w.committee_member)
            vf.move_to(vote, "open" if state == "open" else "closed")
            if state in ("counted", "published"):
                svc.tally_vote(vote, by=w.committee_member)
            if state == "published":
                svc.confirm_result(vote, by=w.community_worker)
                svc.publish_result(vote, by=w.committee_member)
            return vote

        return w.once(f"vote:{state}", build)

    def vote_kwargs(state):
        return lambda w: {"vote_id": (draft(w) if state == "draft" else teller_vote(w, state)).pk}

    def election_vote(w):
        def build():
            vote = vf.election(w.community, w.committee_member, names=("甲", "乙", "丙"), seats=3)
            return vote

        return w.once("vote:election", build)

    def mandate(w):
        def build():
            vote = teller_vote(w, "open")
            holder = w.community.holders.filter(user__isnull=True).order_by("pk").first()
            path = store_private(b"%PDF-1.4\n", folder="votes/mandates", suffix=".pdf")
            return svc.register_mandate(
                vote,
                holder=holder,
                agent=w.resident,
                instructions={vote.matters.get(): "yes"},
                document=path,
                document_type="application/pdf",
                by=w.committee_member,
            )

        return w.once("vote:mandate", build)

    def document_vote(w, state):
        """A vote whose matter has a PDF attached while it was a draft."""

        def build():
            vote = vf.convene(w.community, w.committee_member, title=f"附件表决 {state}")
            path = store_private(b"%PDF-1.4\n", folder="votes/matters", suffix=".pdf")
            svc.attach_matter_document(
                vote.matters.get(),
                document=path,
                document_type="application/pdf",
                by=w.committee_member,
            )
            if state == "open":
                vf.move_to(vf.publish(vote, w.committee_member), "open")
            return vote

        return w.once(f"vote:document:{state}", build)

    def document_kwargs(state):
        return lambda w: {
            "vote_id": document_vote(w, state).pk,
            "matter_id": document_vote(w, state).matters.get().pk,
        }

    def pdf_upload(w):
        return {"document": SimpleUploadedFile("quote.pdf", make_pdf("quote"))}

    def plan(w):
        def build():
            plan = svc.create_selection_plan(
                estate=w.community.estates.get(),
                title="选聘方案",
                scope="全部共有部分",
                service_standard="二级",
                price_min=1,
                price_max=3,
                method="shortlist",
                by=w.committee_member,
            )
            plan.status = PlanStatus.APPROVED
            plan.save()
            return plan

        return w.once("vote:plan", build)

    form = ("get", "head", "post")
    post = ("post",)
    return {
        "vote_list": Rule(kwargs=community_kwargs, expect=members(), methods=form),
        "vote_detail": Rule(kwargs=vote_kwargs("open"), expect=members(), methods=form),
        "vote_manage": Rule(kwargs=vote_kwargs("draft"), expect=members(runners)),
        "vote_add_matter": Rule(
            kwargs=vote_kwargs("draft"),
            method="post",
            methods=post,
            data=lambda w: {"code": "rebuild", "kind": "ordinary", "title": "外墙", "seats": 1},
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_matter_document": Rule(kwargs=document_kwargs("open"), expect=members(), html=False),
        "vote_attach_document": Rule(
            kwargs=document_kwargs("draft"),
            method="post",
            methods=post,
            data=pdf_upload,
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_remove_document": Rule(
            kwargs=document_kwargs("draft"),
            method="post",
            methods=post,
            # Removing twice is refused with a message on the manage page: a redirect too.
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_tellers": Rule(
            kwargs=vote_kwargs("draft"),
            method="post",
            methods=post,
            data=lambda w: {"user": w.owner.phone},
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_notice": Rule(
            kwargs=vote_kwargs("draft"),
            method="post",
            methods=post,
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_cancel": Rule(
            kwargs=vote_kwargs("draft"),
            method="post",
            methods=post,
            data=lambda w: {"reason": "重新安排"},
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_candidates": Rule(
            kwargs=lambda w: {
                "vote_id": election_vote(w).pk,
                "matter_id": election_vote(w).matters.get().pk,
            },
            expect=members(),
            methods=form,
        ),
        "vote_vet": Rule(
            kwargs=lambda w: {
                "vote_id": draft(w).pk,
                "candidate_id": Candidate.objects.filter(matter__vote=draft(w)).first().pk,
            },
            method="post",
            methods=post,
            data=lambda w: {"result": "approved"},
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_electorate": Rule(kwargs=vote_kwargs("open"), expect=members(), methods=form),
        "vote_delivery": Rule(
            kwargs=vote_kwargs("open"), expect=members(runners | {"grid_worker"}), methods=form
        ),
        "vote_delivery_export": Rule(
            kwargs=vote_kwargs("open"), expect=members(runners | {"grid_worker"}), html=False
        ),
        "vote_delivery_pdf": Rule(
            kwargs=vote_kwargs("open"), expect=members(runners | {"grid_worker"}), html=False
        ),
        "vote_delivery_print": Rule(
            kwargs=lambda w: (
                vote_kwargs("open")(w)
                | {"building_id": w.community.estates.get().buildings.get().pk}
            ),
            expect=members(runners | {"grid_worker"}),
        ),
        "vote_turnout": Rule(
            kwargs=vote_kwargs("open"),
            expect=members(runners | {"owner", "grid_worker", "observer"}),
            methods=form,
        ),
        "vote_paper": Rule(
            kwargs=vote_kwargs("open"),
            expect=members({"community_worker"}),
            methods=form,
            query="?ballot=1号楼-101",  # the ballot's entry form, not only the search
        ),
        "vote_paper_clear": Rule(
            kwargs=lambda w: {
                "vote_id": teller_vote(w, "open").pk,
                "matter_id": teller_vote(w, "open").matters.get().pk,
                "head": "h1",
            },
            method="post",
            methods=post,
            data=lambda w: {"reason": "核对"},
            expect=members({"community_worker"}, ok=302),
            html=False,
        ),
        "vote_mandates": Rule(kwargs=vote_kwargs("open"), expect=members(runners), methods=form),
        "vote_mandate_document": Rule(
            kwargs=lambda w: {"vote_id": mandate(w).vote_id, "mandate_id": mandate(w).pk},
            expect=members(runners | {"resident"}),
            html=False,
        ),
        "vote_cast_as_proxy": Rule(
            kwargs=lambda w: {"vote_id": mandate(w).vote_id, "mandate_id": mandate(w).pk},
            method="post",
            methods=post,
            expect=members({"resident"}, ok=302),
            html=False,
        ),
        "vote_result": Rule(kwargs=vote_kwargs("published"), expect=members()),
        "vote_tally": Rule(
            kwargs=vote_kwargs("closed"),
            method="post",
            methods=post,
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_confirm": Rule(
            kwargs=vote_kwargs("counted"),
            method="post",
            methods=post,
            expect=members({"community_worker"}, ok=302),
            html=False,
        ),
        "vote_publish": Rule(
            kwargs=vote_kwargs("counted"),
            method="post",
            methods=post,
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_by_election": Rule(
            kwargs=lambda w: {
                "vote_id": teller_vote(w, "published").pk,
                "matter_id": teller_vote(w, "published").matters.get().pk,
            },
            method="post",
            methods=post,
            data=lambda w: {"opens_at": "2027-03-01T09:00", "closes_at": "2027-03-10T09:00"},
            expect=members(runners, ok=302),
            html=False,
        ),
        "vote_receipt": Rule(kwargs=vote_kwargs("open"), expect=members(), methods=form),
        "vote_ballots": Rule(kwargs=vote_kwargs("open"), expect=members({"community_worker"})),
        "vote_export": Rule(
            kwargs=vote_kwargs("counted"),
            expect=members(runners | {"observer"}),
            html=False,
        ),
        "selection_list": Rule(kwargs=community_kwargs, expect=members(), methods=form),
        "selection_detail": Rule(kwargs=lambda w: {"plan_id": plan(w).pk}, expect=members()),
        "selection_step": Rule(
            kwargs=lambda w: {"plan_id": plan(w).pk, "step": "publish"},
            method="post",
            methods=post,
            expect=members(runners, ok=302),
            html=False,
        ),
    }


RULES.update(_vote_rules())


def _document_rules():
    """PDF downloads: each with the permission of the page it hangs from."""
    from deliberation.notices import publish_notice
    from deliberation.services import votes as svc
    from meetings.models import Kind, Status
    from tests import vote_factories as vf
    from tests.document_factories import stored_notice
    from tests.meeting_factories import make_meeting

    runners = STAFF | {"committee_member"}

    def notice(w):
        return w.once(
            "document:notice",
            lambda: publish_notice(
                community=w.community, kind="decision", title="公示", body="正文", by=w.chair
            ),
        )

    def stored(w):
        def build():
            n = notice(w)
            return stored_notice(n)

        return w.once("document:stored", build)

    def open_vote(w):
        return w.once("document:open_vote", lambda: vf.open_vote(w.community, w.committee_member))

    def published_vote(w):
        def build():
            vote = vf.publish(vf.convene(w.community, w.committee_member), w.committee_member)
            svc.appoint_teller(vote, w.community_worker, by=w.committee_member)
            vf.move_to(vote, "closed")
            svc.tally_vote(vote, by=w.committee_member)
            svc.confirm_result(vote, by=w.community_worker)
            svc.publish_result(vote, by=w.committee_member)
            return vote

        return w.once("document:published_vote", build)

    def meeting(w, kind):
        return w.once(
            f"document:meeting:{kind}",
            lambda: make_meeting(
                w.community,
                w.chair,
                secretary=w.community_worker,
                participants=[w.owner, w.resident],
                kind=kind,
                status=Status.CLOSED,
            ),
        )

    return {
        # A decision is a public notice: its PDF and its code are for anyone to check.
        "notice_pdf": Rule(
            kwargs=lambda w: {"community_id": w.community.pk, "notice_id": notice(w).pk},
            expect=public(),
            html=False,
        ),
        "document_verify": Rule(
            kwargs=lambda w: {"code": stored(w).verification_code}, expect=public()
        ),
        "document_lookup": Rule(expect=public()),
        "vote_result_pdf": Rule(
            kwargs=lambda w: {"vote_id": published_vote(w).pk}, expect=members(), html=False
        ),
        "vote_ballots_pdf": Rule(
            kwargs=lambda w: {"vote_id": open_vote(w).pk}, expect=members(runners), html=False
        ),
        "meeting_minutes_pdf": Rule(
            kwargs=lambda w: {"meeting_id": meeting(w, Kind.CONSULTATION).pk},
            expect=members(),
            html=False,
        ),
        "meeting_hearing_record_pdf": Rule(
            kwargs=lambda w: {"meeting_id": meeting(w, Kind.HEARING).pk},
            expect=members(),
            html=False,
        ),
    }


RULES.update(_document_rules())


# Background work: seen only by the person who started it; everyone else gets 404.
def _job_rules():
    from deliberation.documents.storage import publish_document
    from deliberation.models import BackgroundJob, DocumentKind, JobState
    from tests import vote_factories as vf

    def mine_only(ok):
        return {"anonymous": LOGIN} | {p: 404 for p in SIGNED_IN} | {"committee_member": ok}

    def job(w):
        def build():
            document = publish_document(
                kind=DocumentKind.BALLOTS,
                source=("deliberation.assemblyvote", "job-rules"),
                community=w.community,
                title="表决票",
                pdf=b"%PDF-1.4\n%%EOF\n",
            )
            return BackgroundJob.objects.create(
                started_by=w.committee_member,
                community=w.community,
                kind="ballots",
                target="vote:job-rules",
                title="纸质表决票",
                state=JobState.DONE,
                results=[{"label": "1号楼", "document": document.pk}],
            )

        return w.once("job", build)

    def open_vote(w):
        return w.once("job:open_vote", lambda: vf.open_vote(w.community, w.committee_member))

    return {
        "job_list": Rule(expect=signed_in()),
        "job_detail": Rule(kwargs=lambda w: {"job_id": job(w).pk}, expect=mine_only(OK)),
        "job_retry": Rule(
            kwargs=lambda w: {"job_id": job(w).pk},
            method="post",
            methods=("post",),
            expect=mine_only(302),
            html=False,
        ),
        "job_file": Rule(
            kwargs=lambda w: {"job_id": job(w).pk, "index": 0},
            expect=mine_only(OK),
            html=False,
        ),
        "vote_ballots_print": Rule(
            kwargs=lambda w: {"vote_id": open_vote(w).pk},
            method="post",
            methods=("post",),
            expect=members(STAFF | {"committee_member"}, ok=302),
            html=False,
        ),
    }


RULES.update(_job_rules())


# 提, 议, 定: topics, discussion, polls, decisions; the notice board; notifications
def _topic_rules():
    import io

    from PIL import Image

    from deliberation.notices import publish_notice
    from deliberation.services import topics as services
    from tests import topic_factories as tf

    form = ("get", "head", "post")
    post = ("post",)
    proposers = ALL_MEMBERS - {"partner", "observer"}
    discussants = proposers

    def collecting(w):
        return w.once("topic_collecting", lambda: tf.collecting(w.community, w.resident))

    def drafted(w):
        return w.once("topic_draft", lambda: tf.draft(w.community, w.resident, title="草稿"))

    def triage(w):
        return w.once("topic_triage", lambda: tf.in_triage(w.community, w.resident, title="待受理"))

    def discussing(w):
        return w.once(
            "topic_discussing",
            lambda: tf.discussing(w.community, w.resident, w.community_worker, title="讨论中"),
        )

    def comment(w):
        return w.once(
            "topic_comment",
            lambda: services.add_comment(discussing(w), by=w.owner, body="意见", stance="support"),
        )

    def poll(w):
        return w.once(
            "topic_poll",
            lambda: services.create_poll(
                discussing(w), by=w.chair, question="何时？", options=["周六", "周日"]
            ),
        )

    def photo(w):
        def make():
            out = io.BytesIO()
            Image.new("RGB", (8, 8), "blue").save(out, format="JPEG")
            topic = services.propose_topic(
                w.community,
                by=w.owner,
                title="照片",
                description="x",
                category="other",
                scope="community",
                photos=[(out.getvalue(), "image/jpeg")],
            )
            return services.submit_topic(topic, by=w.owner).photos.get()

        return w.once("topic_photo", make)

    def notice(w):
        return w.once(
            "notice",
            lambda: publish_notice(community=w.community, kind="other", title="通知", body="x"),
        )

    def topic_kwargs(builder):
        return lambda w: {"topic_id": builder(w).pk}

    def comment_kwargs(w):
        return {"topic_id": discussing(w).pk, "comment_id": comment(w).pk}

    # A draft is invisible to everyone but its author.
    only_author = members(frozenset()) | dict.fromkeys(ALL_MEMBERS, 404) | {"resident": 200}
    return {
        "topic_list": Rule(kwargs=community_kwargs, expect=members(), query="?q=电梯"),
        "topic_new": Rule(kwargs=community_kwargs, expect=members(proposers), methods=form),
        "topic_detail": Rule(kwargs=topic_kwargs(discussing), expect=members(), methods=form),
        "topic_edit": Rule(kwargs=topic_kwargs(drafted), expect=only_author, methods=form),
        "topic_history": Rule(kwargs=topic_kwargs(discussing), expect=members()),
        "topic_submit": Rule(
            kwargs=topic_kwargs(drafted),
            method="post",
            methods=post,
            data=lambda w: {"version": drafted(w).version},
            expect=members({"resident"}, ok=302),
            html=False,
        ),
        "topic_cosign": Rule(
            kwargs=topic_kwargs(collecting),
            method="post",
            methods=post,
            expect=members(RESIDENTS, ok=302),
            html=False,
        ),
        "topic_follow": Rule(
            kwargs=topic_kwargs(discussing),
            method="post",
            methods=post,
            expect=members(ok=302),
            html=False,
        ),
        "topic_triage": Rule(kwargs=topic_kwargs(triage), expect=members(STAFF), methods=form),
        "topic_decide": Rule(
            kwargs=topic_kwargs(discussing),
            expect=members({"chair", "committee_member"}),
            methods=form,
        ),
        "topic_withdraw": Rule(
            kwargs=topic_kwargs(collecting), expect=members({"resident"}), methods=form
        ),
        "poll_create": Rule(
            kwargs=topic_kwargs(discussing),
            method="post",
            methods=post,
            data=lambda w: {"question": "几点？", "options": "上午\n下午"},
            expect=members(STAFF | {"committee_member"}, ok=302),
            html=False,
        ),
        "poll_vote": Rule(
            kwargs=lambda w: {"topic_id": discussing(w).pk, "poll_id": poll(w).pk},
            method="post",
            methods=post,
            data=lambda w: {"choice": poll(w).options.first().pk},
            expect=members(RESIDENTS, ok=302),
            html=False,
        ),
        "comment_react": Rule(
            kwargs=comment_kwargs,
            method="post",
            methods=post,
            data=lambda w: {"kind": "agree"},
            expect=members(discussants, ok=302),
            html=False,
        ),
        "comment_report": Rule(kwargs=comment_kwargs, expect=members(), methods=form),
        "comment_hide": Rule(kwargs=comment_kwargs, expect=members(STAFF), methods=form),
        "topic_photo": Rule(
            kwargs=lambda w: {"topic_id": photo(w).topic_id, "photo_id": photo(w).pk},
            expect=members(),
            html=False,
        ),
        # The board is public; a notice of a members-only kind ("other") is 404 to outsiders.
        "notice_board": Rule(kwargs=community_kwargs, expect=public()),
        "notice_detail": Rule(
            kwargs=lambda w: {"community_id": w.community.pk, "notice_id": notice(w).pk},
            expect=members() | {"anonymous": 404},
            methods=form,
        ),
        "notifications": Rule(expect=signed_in(), methods=form),
    }


RULES.update(_topic_rules())


# The opinion map of a topic's discussion
def _opinion_rules():
    from deliberation.services import opinions
    from tests import topic_factories as tf

    post = ("post",)
    discussants = ALL_MEMBERS - {"partner", "observer"}

    def discussing(w):
        return w.once(
            "opinion_topic",
            lambda: tf.discussing(w.community, w.resident, w.community_worker, title="意见地图"),
        )

    def statement(w):
        def make():
            written = opinions.write_statement(discussing(w), by=w.owner, text="电梯应当先修")
            return opinions.moderate_statement(written, by=w.community_worker, show=True)

        return w.once("opinion_statement", make)

    def topic_kwargs(w):
        return {"topic_id": discussing(w).pk}

    def statement_kwargs(w):
        return {"topic_id": discussing(w).pk, "statement_id": statement(w).pk}

    return {
        "opinions": Rule(kwargs=topic_kwargs, expect=members()),
        "opinion_map": Rule(kwargs=topic_kwargs, expect=members()),
        "opinion_map_xlsx": Rule(kwargs=topic_kwargs, expect=members(), html=False),
        "statement_write": Rule(
            kwargs=topic_kwargs,
            method="post",
            methods=post,
            data=lambda w: {"text": "停车位应当按楼栋分配"},
            expect=members(discussants, ok=(302, 400)),  # 400: the same statement again
            html=False,
        ),
        "statement_answer": Rule(
            kwargs=statement_kwargs,
            method="post",
            methods=post,
            data=lambda w: {"vote": "agree"},
            expect=members(discussants, ok=302),
            html=False,
        ),
        "statement_moderate": Rule(
            kwargs=statement_kwargs,
            method="post",
            methods=post,
            data=lambda w: {"action": "show"},
            expect=members(STAFF, ok=302),
            html=False,
        ),
    }


RULES.update(_opinion_rules())


# Websocket commands of the live room (meetings.forms.COMMANDS) in a live consultation: the
# seated personas who get past the permission check. Only the chair (chair), the secretary
# (community_worker) and the participants (owner, resident) hold seats; everyone else is
# refused at the handshake. A command without a row fails test_url_permissions.py.
ROOM_SEATED = ("resident", "owner", "community_worker", "chair")  # the order commands are sent
ROOM_CHAIR = frozenset({"chair"})
ROOM_SECRETARY = frozenset({"community_worker"})
ROOM_SEATS = frozenset(ROOM_SEATED)
WS_RULES = {
    "open_meeting": frozenset(),  # only while the meeting is announced, not once live
    "close_meeting": ROOM_CHAIR,
    "check_in": ROOM_SEATS,
    "open_item": ROOM_CHAIR,
    "close_item": ROOM_CHAIR,
    "next_item": ROOM_CHAIR,
    "raise_hand": ROOM_SEATS,
    "lower_hand": ROOM_SEATS,
    "grant_floor": ROOM_CHAIR,
    "end_floor": ROOM_CHAIR,
    "skip_speaker": ROOM_CHAIR,
    "move_speaker": ROOM_CHAIR,
    "set_stage": ROOM_CHAIR,
    "record_speech": ROOM_SECRETARY,
    "open_vote": ROOM_CHAIR,
    "cast_vote": ROOM_SEATS,
    "close_vote": ROOM_CHAIR,
    "add_minutes": ROOM_SECRETARY,
}


def _other_estate_rules():
    """A committee acts for its own estate only (an owners' committee is the executive of one
    estate's assembly). The community has a second estate, 和谐家园, on whose committee nobody
    sits: the committee member of the first estate gets 403 there on every step that runs a
    vote or a selection, forged POSTs naming it included, while the community's staff may."""
    from deliberation.models import Candidate, MatterKind, PlanStatus
    from deliberation.services import votes as svc
    from tests import vote_factories as vf
    from tests.factories import add_estate

    def other(w):
        return w.once("estate:other", lambda: add_estate(w.community))

    def draft(w):
        return w.once(
            "other:draft",
            lambda: vf.convene(
                w.community,
                w.chair,
                estate=other(w),
                matters=[("elect_committee", MatterKind.ELECTION, 3, ["甲", "乙", "丙"])],
            ),
        )

    def counted(w, state):
        def build():
            vote = vf.publish(vf.convene(w.community, w.chair, estate=other(w)), w.chair)
            svc.appoint_teller(vote, w.community_worker, by=w.chair)
            vf.move_to(vote, "closed")
            if state in ("counted", "published"):
                svc.tally_vote(vote, by=w.chair)
            if state == "published":
                svc.confirm_result(vote, by=w.community_worker)
                svc.publish_result(vote, by=w.chair)
            return vote

        return w.once(f"other:{state}", build)

    def plan(w):
        def build():
            plan = svc.create_selection_plan(
                estate=other(w),
                title="和谐家园选聘方案",
                scope="全部共有部分",
                service_standard="二级",
                price_min=1,
                price_max=3,
                method="shortlist",
                by=w.chair,
            )
            plan.status = PlanStatus.APPROVED
            plan.save()
            return plan

        return w.once("other:plan", build)

    def convene_data(w):
        return {
            "estate": other(w).pk,
            "title": "和谐家园表决",
            "convened_by": "committee",
            "opens_at": "2027-03-01T09:00",
            "closes_at": "2027-03-10T09:00",
        }

    def plan_data(w):
        return {
            "estate": other(w).pk,
            "title": "选聘",
            "scope": "全部",
            "service_standard": "二级",
            "price_min": "1",
            "price_max": "3",
            "method": "shortlist",
        }

    def vote_kwargs(build):
        return lambda w: {"vote_id": build(w).pk}

    staff_only = members(STAFF, ok=302)
    post = ("post",)
    rows = {
        "convene in another estate": (
            "vote_list",
            Rule(
                kwargs=community_kwargs,
                method="post",
                data=convene_data,
                expect=staff_only,
                methods=post,
            ),
        ),
        "manage another estate's draft": (
            "vote_manage",
            Rule(kwargs=vote_kwargs(draft), expect=members(STAFF)),
        ),
        "appoint a teller in another estate": (
            "vote_tellers",
            Rule(
                kwargs=vote_kwargs(draft),
                method="post",
                data=lambda w: {"user": w.owner.phone},
                expect=staff_only,
                methods=post,
            ),
        ),
        "vet a candidate in another estate": (
            "vote_vet",
            Rule(
                kwargs=lambda w: {
                    "vote_id": draft(w).pk,
                    "candidate_id": Candidate.objects.filter(matter__vote=draft(w)).first().pk,
                },
                method="post",
                data=lambda w: {"result": "approved"},
                expect=staff_only,
                methods=post,
            ),
        ),
        "publish another estate's notice": (
            "vote_notice",
            Rule(kwargs=vote_kwargs(draft), method="post", expect=staff_only, methods=post),
        ),
        "count another estate's vote": (
            "vote_tally",
            Rule(
                kwargs=vote_kwargs(lambda w: counted(w, "closed")),
                method="post",
                expect=staff_only,
                methods=post,
            ),
        ),
        "publish another estate's result": (
            "vote_publish",
            Rule(
                kwargs=vote_kwargs(lambda w: counted(w, "counted")),
                method="post",
                expect=staff_only,
                methods=post,
            ),
        ),
        "start a by-election in another estate": (
            "vote_by_election",
            Rule(
                kwargs=lambda w: {
                    "vote_id": counted(w, "published").pk,
                    "matter_id": counted(w, "published").matters.get().pk,
                },
                method="post",
                data=lambda w: {"opens_at": "2027-03-01T09:00", "closes_at": "2027-03-10T09:00"},
                expect=staff_only,
                methods=post,
            ),
        ),
        "convene an owners' session in another estate": (
            "meeting_create",
            Rule(
                kwargs=community_kwargs,
                method="post",
                data=lambda w: {
                    "kind": "owners_session",
                    "title": "和谐家园业主大会会议",
                    "estate": other(w).pk,
                    "chair": w.chair.pk,
                    "place": "和谐家园会所",
                    "starts_at": "2027-03-01T09:00",
                    "speaking_time_s": 180,
                },
                expect=staff_only,
                methods=post,
            ),
        ),
        "draft a selection plan in another estate": (
            "selection_list",
            Rule(
                kwargs=community_kwargs,
                method="post",
                data=plan_data,
                expect=staff_only,
                methods=post,
            ),
        ),
        "run another estate's selection": (
            "selection_step",
            Rule(
                kwargs=lambda w: {"plan_id": plan(w).pk, "step": "publish"},
                method="post",
                expect=staff_only,
                methods=post,
            ),
        ),
    }
    return rows


OTHER_ESTATE_RULES = _other_estate_rules()
