"""Plain-dict sample contexts with Chinese names: for tests, benchmarks and previews.

They follow the shapes in docs/documents.md, so a template that renders these renders the
real records too.
"""

import itertools
import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏晓燕文斌宇浩凯婷雪琳慧颖淑珍喆堃昇彧"  # noqa: E501
SENTENCES = [
    "关于加装电梯的费用分摊，低层住户希望按楼层系数计算，高层住户认为应当按面积平均分担。",
    "物业服务企业表示，地下车库的渗水问题已经委托专业单位检测，预计下周出具报告。",
    "我建议在小区东门增设非机动车充电桩，避免电动车进楼道充电带来的消防隐患。",
    "业主委员会应当在三日内公示本次会议的决定，并接受全体业主的监督。",
    "对于维修资金的使用方案，请大家重点关注预算明细和施工单位的资质。",
    "老年人行动不便，希望社区在议事时提供纸质材料，并安排网格员上门收集意见。",
    "垃圾分类投放点的位置需要重新调整，目前离3号楼2单元太近，夏天气味较大。",
    "“有事好商量”，大家把意见讲在会上，比在群里争论更有效果。",
]


TOPICS = ["加装电梯", "停车管理", "维修资金使用", "垃圾分类"]


def _rng(seed):
    return random.Random(seed)  # noqa: S311  (sample data, not secrets)


def chinese_name(rng):
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    surname = rng.choice(["欧阳", "司马", "诸葛"]) if rng.random() < 0.05 else rng.choice(SURNAMES)
    return surname + given


def unit_label(rng):
    return (
        f"{rng.randint(1, 12)}号楼{rng.randint(1, 4)}单元{rng.randint(1, 28)}0{rng.randint(1, 4)}室"
    )


def speech(rng, sentences=4):
    return "".join(rng.choice(SENTENCES) for _ in range(sentences))


def sample_minutes(pages=20, seed=1, kind_label="党群议事会", participants=24):
    """A meeting record in the shape of meetings.services.minutes_context; about `pages` long."""
    rng = _rng(seed)
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    people = [
        {
            "name": chinese_name(rng),
            "role": rng.choice(["居民代表", "业主代表", "物业公司", "网格员", "共建单位"]),
            "organisation": unit_label(rng),
            "checked_in": i % 7 != 6,
            "checked_in_at": start,
            "checkin_method": "扫码签到",
            "signature": "线上确认" if i % 7 != 6 else "",
            "signature_note": "",
        }
        for i in range(participants)
    ]
    clock = itertools.count()
    items = []
    per_item = 7
    item_count = max(1, round(pages * 1.4))
    for position in range(1, item_count + 1):
        speeches = [
            {
                "name": rng.choice(people)["name"] if people else chinese_name(rng),
                "summary": speech(rng, rng.randint(2, 5)),
                "at": start + timedelta(minutes=next(clock)),
            }
            for _ in range(per_item)
        ]
        yes = rng.randint(10, 20)
        votes = [
            {
                "question": f"是否同意议程{position}的处理方案",
                "kind": "hands",
                "yes": yes,
                "no": 20 - yes,
                "abstain": 1,
                "present": 21,
                "passed": yes * 2 > 21,
                "outcome": "通过" if yes * 2 > 21 else "未通过",
            }
        ]
        items.append(
            {
                "position": position,
                "title": f"关于{rng.choice(TOPICS)}的议题",
                "topic_id": None,
                "decision": f"会议决定：议程{position}的方案按讨论意见修改后公示。",
                "votes": votes,
                "speeches": speeches,
            }
        )
    return {
        "id": 1,
        "title": "幸福里社区2026年第四次党群议事会",
        "kind": "consultation",
        "kind_label": kind_label,
        "community": "幸福里社区",
        "estate": "阳光花园小区",
        "place": "社区党群服务中心二楼会议室",
        "online": True,
        "starts_at": start,
        "opened_at": start,
        "closed_at": start + timedelta(hours=2),
        "status": "published",
        "status_label": "纪要已公布",
        "chair": "赵书记",
        "secretary": "刘洋",
        "published_at": start + timedelta(days=6),
        "digest": "0" * 64,
        "participants": people,
        "present_count": sum(1 for p in people if p["checked_in"]),
        "invited_count": len(people),
        "items": items,
        "entries": [],
        "corrections": [],
        "officer_signatures": {
            "chair": {"method": "线上确认", "at": start},
            "secretary": {"method": "纸面签字", "at": start},
        },
    }


def sample_hearing(seed=2):
    """A hearing record: stage entries, statements, questions and answers, a correction."""
    record = sample_minutes(pages=3, seed=seed, kind_label="听证会", participants=8)
    record["kind"] = "hearing"
    record["title"] = "阳光花园小区停车收费调整听证会"
    start = record["opened_at"]
    stages = ["出席情况与会场纪律", "组织单位说明事项", "当事人陈述", "询问", "辩论", "最后陈述"]
    entries = []
    for n, label in enumerate(stages):
        at = start + timedelta(minutes=30 * n)
        entries.append(
            {
                "at": at,
                "kind": "stage",
                "kind_label": "听证阶段",
                "automatic": True,
                "text": f"听证阶段：{label}",
                "item": None,
            }
        )
        entries.append(
            {
                "at": at + timedelta(minutes=5),
                "kind": "note",
                "kind_label": "记录",
                "automatic": False,
                "text": f"问：{SENTENCES[n]} 答：{SENTENCES[-1 - n]}",
                "item": None,
            }
        )
    record["entries"] = entries
    for item in record["items"]:
        for k, s in enumerate(item["speeches"]):
            s["at"] = start + timedelta(minutes=30 * (k % len(stages)) + 10)
    record["corrections"] = [
        {
            "name": record["participants"][0]["name"],
            "text": "第二段“每月150元”应为“每月120元”。",
            "status": "已采纳",
            "response": "已在记录中更正。",
        }
    ]
    record["corrections_until"] = start + timedelta(days=5)
    return record


def sample_vote_result(seed=3):
    rng = _rng(seed)
    now = timezone.now()
    total_area, total_heads = Decimal("38450.00"), 399
    part_area, part_heads = Decimal("27300.00"), 281

    def rows(yes_area, yes_heads):
        return [
            {"label": "参与表决", "area": part_area, "heads": part_heads, "share": "—"},
            {"label": "同意", "area": yes_area, "heads": yes_heads, "share": "75.46% / 75.44%"},
            {"label": "反对", "area": Decimal("4100.00"), "heads": 51, "share": ""},
            {"label": "弃权", "area": Decimal("1800.00"), "heads": 12, "share": ""},
            {"label": "废票", "area": Decimal("800.00"), "heads": 6, "share": ""},
        ]

    candidates = [
        {
            "rank": i + 1,
            "name": chinese_name(rng),
            "heads": 200 - 9 * i,
            "area": Decimal("19000.00") - 700 * i,
            "result": "",
        }
        for i in range(9)
    ]
    for c in candidates[:5]:
        c["result"] = "当选"
    for c in candidates[5:8]:
        c["result"] = "候补委员"
    candidates[8]["result"] = "未过半数"
    return {
        "title": "阳光花园小区2026年第一次业主大会",
        "community": "幸福里社区",
        "estate": "阳光花园小区",
        "opens_at": now - timedelta(days=20),
        "closes_at": now - timedelta(days=5),
        "counted_at": now - timedelta(days=4),
        "published_at": now - timedelta(days=3),
        "totals": {"area": total_area, "heads": total_heads},
        "tellers": ["周街道", "孙红", "李明"],
        "matters": [
            {
                "position": 1,
                "title": "筹集专项维修资金",
                "code_label": "筹集建筑物及其附属设施的维修资金",
                "threshold_label": "不少于四分之三",
                "rows": rows(Decimal("20600.00"), 212),
                "quorum_met": True,
                "passed": True,
                "outcome": "通过",
                "reasons": [
                    "参与表决的专有部分面积和人数均达到三分之二以上。",
                    "同意的面积 20,600.00 m² ≥ 参与面积的四分之三；"
                    "同意人数 212 ≥ 参与人数的四分之三。",
                ],
                "deemed": None,
                "election": None,
            },
            {
                "position": 2,
                "title": "选举第三届业主委员会委员（7名）",
                "code_label": "选举业主委员会或者更换业主委员会成员",
                "threshold_label": "过半数（每名候选人）",
                "rows": rows(Decimal("19000.00"), 200),
                "quorum_met": True,
                "passed": True,
                "outcome": "通过",
                "reasons": ["5名候选人获得参与表决面积和人数的过半数同意。"],
                "deemed": None,
                "election": {
                    "candidates": candidates,
                    "elected": [c["name"] for c in candidates[:5]],
                    "alternates": [c["name"] for c in candidates[5:8]],
                    "vacancies": 2,
                },
            },
        ],
    }


def sample_ballots(count=300, seed=4, matters=4):
    rng = _rng(seed)
    now = timezone.now()
    return {
        "vote_id": 1,
        "title": "阳光花园小区2026年第一次业主大会",
        "community": "幸福里社区",
        "estate": "阳光花园小区",
        "opens_at": now,
        "closes_at": now + timedelta(days=15),
        "matters": [
            {"position": 1, "title": "筹集专项维修资金", "candidates": [], "seats": 1},
            {"position": 2, "title": "续聘物业服务企业", "candidates": [], "seats": 1},
            {"position": 3, "title": "修订管理规约", "candidates": [], "seats": 1},
            {
                "position": 4,
                "title": "选举业主委员会委员",
                "seats": 3,
                "candidates": [chinese_name(rng) for _ in range(4)],
            },
        ][:matters],
        "sheets": [
            {
                "number": n,
                "head": f"h{n}",
                "holder_name": chinese_name(rng),
                "units": [unit_label(rng)],
                "area": Decimal(rng.randint(6000, 14000)) / 100,
            }
            for n in range(1, count + 1)
        ],
    }


def sample_notice():
    now = timezone.now()
    return {
        "title": "关于3号楼加装电梯方案的公示",
        "community": "幸福里社区",
        "kind_label": "决定",
        "body": "经党群议事会协商，3号楼加装电梯方案已形成。\n"
        "公示期内如有异议，请联系社区居委会（联系人：王芳）。",
        "published_at": now,
        "ends_at": now + timedelta(days=15),
        "period_days": 15,
    }
