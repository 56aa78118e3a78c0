"""Demo opinion map on the lift matter: forty neighbours have written and answered statements,
two groups show (repair the board now / replace the lift properly) and what they all agree on.

李明 (the owner persona) has answered nothing yet, so the demo can show a resident answering
her first statements and seeing where she stands. One statement is hidden with a reason, to
show moderation. The map is drawn here, as the task worker would draw it.
"""

import random

from django.db import transaction

from accounts.models import User
from accounts.phone import normalise_phone
from deliberation.demo.topics import LIFT
from deliberation.models import Membership, Role, Statement, StatementVote, Topic
from deliberation.services import opinions

NEIGHBOURS = 40
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "秀英 建国 桂兰 志强 丽华 国平 海燕 明华 淑珍 文斌".split()

# (text, answer of the "repair" group, answer of the "replace" group): 1 agree, -1 disagree,
# 0 pass; None draws at random for both.
STATEMENTS = [
    ("应先请第三方检测，查明停运原因再决定修还是换", 1, 1),
    ("检修期间应安排志愿者帮老人上下楼", 1, 1),
    ("每次停运都应在楼道和业主群里及时公告", 1, 1),
    ("电梯主板老化，直接整机更换最省心", -1, 1),
    ("换整机太贵，先修主板就够了", 1, -1),
    ("维保公司不到位，应该换一家维保公司", 0, 1),
    ("加装远程监测，故障自动报修", -1, 1),
    ("费用超过30万元应召开业主大会表决", 1, 1),
    ("低楼层住户也应按面积分摊电梯费用", None, None),
    ("检修安排在周末上午，对上班的人影响最小", 1, 0),
]
HIDDEN = ("楼上装修太吵了，物业管不管", "与电梯议题无关，请另提议题。")


def _neighbours(community):
    people = []
    for n in range(1, NEIGHBOURS + 1):
        phone = normalise_phone(f"1390001{n:04d}")
        user = User.objects.filter(phone=phone).first()
        if user is None:
            name = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]
            user = User.objects.create_user(email=None, phone=phone, password=None)
            user.real_name = name
            user.phone_verified = True
            user.save(update_fields=["real_name", "phone_verified"])
        Membership.objects.get_or_create(user=user, community=community, role=Role.RESIDENT)
        people.append(user)
    return people


def _check_may_answer(topic, people):
    """What opinions.answer_statement checks of each person who answers, once each."""
    topic = Topic.objects.get(pk=topic.pk)
    for person in people:
        opinions._require(person, topic, "opinion.vote")


def seed(context):
    community = context["community"]
    users = context["users"]
    lift = Topic.objects.filter(community=community, title=LIFT).first()
    if lift is None or Statement.objects.filter(topic=lift).exists():
        return {}
    worker = users["community_worker"]
    rng = random.Random(2026)  # noqa: S311  (a repeatable demo, not a secret)
    with transaction.atomic():
        people = _neighbours(community)
        repair, replace = people[:22], people[22:]
        shown = []
        for number, (text, _a, _b) in enumerate(STATEMENTS):
            author = people[(number * 7) % len(people)]
            statement = opinions.write_statement(lift, by=author, text=text)
            shown.append(opinions.moderate_statement(statement, by=worker, show=True))
        off_topic = opinions.write_statement(lift, by=people[3], text=HIDDEN[0])
        opinions.moderate_statement(off_topic, by=worker, show=False, reason=HIDDEN[1])
        answers = []
        for group, column in ((repair, 1), (replace, 2)):
            for person in group:
                for statement, row in zip(shown, STATEMENTS, strict=True):
                    leaning = row[column]
                    if rng.random() < 0.12:
                        continue  # not everyone answers everything
                    if leaning is None or rng.random() < 0.1:
                        leaning = rng.choice((1, -1, 0))
                    answers.append((statement, person, leaning))
        for user in (users["resident"], users["committee"]):  # two personas have answered
            for statement in shown[:7]:
                answers.append((statement, user, StatementVote.AGREE))
        # Written at once rather than through opinions.answer_statement, which locks the topic
        # and marks the map for redrawing on each of these ~370 first answers (a resident's
        # answer at a time): the rows are the same, and the map is marked once below.
        _check_may_answer(lift, {person for _statement, person, _vote in answers})
        StatementVote.objects.bulk_create(
            StatementVote(statement=statement, participant=person, topic=lift, vote=vote)
            for statement, person, vote in answers
        )
        opinions.request_map(lift)
    opinions.recompute_map(lift.pk)  # drawn now, as the task worker would
    return {}
