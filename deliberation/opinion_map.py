"""The opinion map: Polis's method of finding opinion groups, free of Django.

Input is a list of votes (participant, statement, vote, time) with vote 1 agree, -1 disagree,
0 pass. The steps, each described with how it follows Polis in docs/opinion_map.md:

1. the participant × statement matrix (latest vote wins, moderated-out statements removed,
   participants with at least ``MIN_VOTES`` votes);
2. missing votes imputed by each statement's mean vote;
3. PCA to two dimensions, each participant's projection scaled by
   sqrt(statements / statements the participant voted on);
4. k-means for k = 2..5 on the projections, the k with the best silhouette, fixed seeds;
5. each group's representative statements (Polis's repness), group-informed consensus (the
   product of each group's smoothed agreement) and the most divisive statements.

Only numpy and scikit-learn: the module can be lifted out whole. scikit-learn is imported
where the map is computed, not with the module: importing it costs most of a second of CPU,
which every process that loads Django (web and task workers, `manage.py`) would pay at start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = [
    "AGREE",
    "DISAGREE",
    "MIN_VOTES",
    "PASS",
    "Group",
    "OpinionMap",
    "OpinionMapError",
    "StatementScore",
    "as_dict",
    "compute",
    "consensus",
    "divisive",
    "project",
    "read_polis_export",
    "representative",
    "vote_matrix",
]

AGREE, PASS, DISAGREE = 1, 0, -1
MIN_VOTES = 7  # Polis groups a participant once they have voted on 7 statements
K_RANGE = range(2, 6)
Z_90 = 1.2816  # one-sided 90% confidence, Polis's significance bar for repness
REPRESENTATIVE_PER_GROUP = 5
CONSENSUS_COUNT = 5
DIVISIVE_COUNT = 5
SEED = 0
SILHOUETTE_SAMPLE = 1000  # silhouette is quadratic: above this, a fixed sample of participants


class OpinionMapError(ValueError):
    """Votes the method refuses; the message names the culprit."""


@dataclass(frozen=True)
class StatementScore:
    """One statement's standing in a group (or across groups, for consensus and division)."""

    statement: object
    direction: str  # "agree" or "disagree"
    score: float  # repness, consensus probability or divisiveness, by context
    agree: int = 0  # votes of this kind in the group (all groups for consensus/divisive)
    disagree: int = 0
    seen: int = 0  # votes of any kind, passes included
    share: float = 0.0  # smoothed share of the group that votes this way


@dataclass(frozen=True)
class Group:
    number: int  # 0-based, groups ordered by size, largest first
    size: int
    center: tuple[float, float]
    representative: list[StatementScore] = field(default_factory=list)


@dataclass(frozen=True)
class OpinionMap:
    participants: dict  # every participant who voted -> group number, or None (too few votes)
    coords: dict  # grouped participant -> (x, y) in the PCA plane
    groups: list[Group]
    consensus: list[StatementScore]
    divisive: list[StatementScore]
    statements: list  # statements in the matrix (moderated-out ones removed)
    silhouette: float | None
    explained: tuple[float, ...]  # share of variance along each of the two axes

    @property
    def grouped_count(self):
        return sum(1 for g in self.participants.values() if g is not None)


@dataclass
class Matrix:
    participants: list
    statements: list
    values: np.ndarray  # float, NaN where no vote


def vote_matrix(votes, statements=None, removed=()):
    """The participant × statement matrix, latest vote winning, NaN for no vote.

    `votes` is a sequence of (participant, statement, vote, time) with a numeric time; ties in
    time keep input order. `statements`, when given, fixes the statement columns (votes on
    others are ignored); `removed` statements (moderated out) are dropped. Every participant
    who voted at all gets a row, even one whose votes were all on removed statements.
    """
    rows = votes if isinstance(votes, list) else list(votes)
    removed = set(removed)
    vals = np.fromiter((row[2] for row in rows), dtype=np.float64, count=len(rows))
    bad = ~np.isin(vals, (AGREE, PASS, DISAGREE))
    if bad.any():
        row = rows[int(np.argmax(bad))]
        raise OpinionMapError(f"vote {row[2]!r} on statement {row[1]!r} is not 1, 0 or -1")
    if statements is None:
        statements = sorted({row[1] for row in rows} - removed, key=_sort_key)
    else:
        statements = [s for s in statements if s not in removed]
    column = {s: i for i, s in enumerate(statements)}
    participants = sorted({row[0] for row in rows}, key=_sort_key)
    line = {p: i for i, p in enumerate(participants)}
    values = np.full((len(participants), len(statements)), np.nan)
    if not rows or not statements:
        return Matrix(participants, statements, values)
    s_idx = np.fromiter((column.get(row[1], -1) for row in rows), np.int64, count=len(rows))
    p_idx = np.fromiter((line[row[0]] for row in rows), np.int64, count=len(rows))
    times = np.fromiter((row[3] for row in rows), np.float64, count=len(rows))
    order = np.argsort(times, kind="stable")  # stable: input order on equal times
    order = order[s_idx[order] >= 0]
    p_idx, s_idx, vals = p_idx[order], s_idx[order], vals[order]
    # The last occurrence of each (participant, statement) pair is the latest vote.
    key = p_idx * len(statements) + s_idx
    _, last_from_end = np.unique(key[::-1], return_index=True)
    last = len(key) - 1 - last_from_end
    values[p_idx[last], s_idx[last]] = vals[last]
    return Matrix(participants, statements, values)


def _sort_key(value):
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))


def project(values, removed_count=0):
    """Polis's 2-D projection of the rows of `values` (NaN = no vote).

    Returns (coords, explained variance ratios). Missing votes take the statement's mean vote;
    each row is scaled by sqrt(statements / votes of the row) so that a sparse participant,
    pulled towards the centre by the imputed means, is pushed back out. Polis keeps
    moderated-out statements as columns of zeros, which carry no signal but count as a vote of
    everyone's in that scaling: `removed_count` adds them to both sides of the ratio.
    """
    voted = ~np.isnan(values)
    counts = voted.sum(axis=0)
    means = np.divide(
        np.nansum(values, axis=0), counts, out=np.zeros(values.shape[1]), where=counts > 0
    )
    filled = np.where(voted, values, means)
    n_components = min(2, *filled.shape)
    from sklearn.decomposition import PCA  # imported late: see the module's docstring

    pca = PCA(n_components=n_components, svd_solver="full")
    coords = pca.fit_transform(filled)
    if n_components < 2:
        coords = np.hstack([coords, np.zeros((coords.shape[0], 2 - n_components))])
    per_row = voted.sum(axis=1) + removed_count
    scale = np.sqrt((values.shape[1] + removed_count) / np.maximum(per_row, 1))
    coords = coords * scale[:, None]
    # Fix each axis's sign (SVD's is arbitrary) so the picture does not flip between runs.
    for axis in range(2):
        column = coords[:, axis]
        if column.size and abs(column.min()) > abs(column.max()):
            coords[:, axis] = -column
    explained = tuple(float(x) for x in pca.explained_variance_ratio_)
    return coords, explained


def cluster(coords, k_range=K_RANGE):
    """k-means of the participants for each k in `k_range`; the k with the best silhouette.

    Returns (labels, silhouette), or (zeros, None) when no grouping in two or more exists.
    Labels are renumbered by group size, largest first (ties: the group's first member).
    """
    from sklearn.cluster import KMeans  # imported late: see the module's docstring
    from sklearn.metrics import silhouette_score  # likewise

    n = coords.shape[0]
    points = coords
    distinct = len(np.unique(np.round(points, 12), axis=0))
    best = None
    for k in k_range:
        if k >= n or k > distinct:
            break
        labels = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit_predict(points)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(
            silhouette_score(
                coords,
                labels,
                sample_size=SILHOUETTE_SAMPLE if n > SILHOUETTE_SAMPLE else None,
                random_state=SEED,
            )
        )
        if best is None or score > best[0] + 1e-12:
            best = (score, labels)
    if best is None:
        return np.zeros(n, dtype=int), None
    score, labels = best
    sizes = {label: int((labels == label).sum()) for label in set(labels.tolist())}
    first = {label: int(np.argmax(labels == label)) for label in sizes}
    order = sorted(sizes, key=lambda lab: (-sizes[lab], first[lab]))
    renumber = {old: new for new, old in enumerate(order)}
    return np.array([renumber[lab] for lab in labels.tolist()], dtype=int), score


def smoothed(successes, seen):
    """Polis's smoothed share (successes + 1) / (seen + 2): never 0 or 1 on little data."""
    return (successes + 1.0) / (seen + 2.0)


def prop_test(successes, seen):
    """Polis's z-score that a share is above one half."""
    return 2.0 * np.sqrt(seen + 1.0) * ((successes + 1.0) / (seen + 1.0) - 0.5)


def two_prop_test(succ_in, n_in, succ_out, n_out):
    """Polis's z-score that the group's share is above the rest's."""
    p_in = (succ_in + 1.0) / (n_in + 1.0)
    p_out = (succ_out + 1.0) / (n_out + 1.0)
    pooled = (succ_in + succ_out + 1.0) / (n_in + n_out + 1.0)
    spread = np.sqrt(pooled * (1.0 - pooled) * (1.0 / (n_in + 1.0) + 1.0 / (n_out + 1.0)))
    return np.divide(p_in - p_out, spread, out=np.zeros_like(p_in), where=spread > 0)


def _counts(values, mask):
    rows = values[mask]
    agree = (rows == AGREE).sum(axis=0).astype(float)
    disagree = (rows == DISAGREE).sum(axis=0).astype(float)
    seen = (~np.isnan(rows)).sum(axis=0).astype(float)
    return agree, disagree, seen


def representative(values, labels, group, statements, limit=REPRESENTATIVE_PER_GROUP):
    """The statements that set `group` apart, by Polis's repness.

    For agreement: pa = smoothed agree share in the group, ra = pa / the rest's; both the group's
    share above one half (prop test) and above the rest's (two-proportion test) must pass the 90%
    bar. The metric is ra · z_ra · pa · z_pa; the same for disagreement; the best direction of
    each statement competes, best first.
    """
    inside = labels == group
    a_in, d_in, n_in = _counts(values, inside)
    a_out, d_out, n_out = _counts(values, ~inside)
    found = []
    for direction, s_in, s_out, other_in in (
        ("agree", a_in, a_out, d_in),
        ("disagree", d_in, d_out, a_in),
    ):
        p_in = smoothed(s_in, n_in)
        p_out = smoothed(s_out, n_out)
        ratio = p_in / p_out
        z_p = prop_test(s_in, n_in)
        z_r = two_prop_test(s_in, n_in, s_out, n_out)
        metric = ratio * z_r * p_in * z_p
        for j in range(len(statements)):
            if z_p[j] > Z_90 and z_r[j] > Z_90 and s_in[j] > other_in[j]:
                found.append(
                    StatementScore(
                        statements[j],
                        direction,
                        float(metric[j]),
                        int(a_in[j]),
                        int(d_in[j]),
                        int(n_in[j]),
                        float(p_in[j]),
                    )
                )
    best = {}
    for score in found:
        if score.statement not in best or score.score > best[score.statement].score:
            best[score.statement] = score
    ranked = sorted(best.values(), key=lambda s: (-s.score, _sort_key(s.statement)))
    return ranked[:limit]


def consensus(values, labels, groups, statements, limit=CONSENSUS_COUNT):
    """Group-informed consensus: the product over groups of each group's smoothed agreement.

    A statement scores high only when every group agrees with it, however small the group. The
    same product of smoothed disagreement finds what every group rejects; both are returned,
    highest first, only where the product beats one half raised to the number of groups (every
    group more for than against, on average).
    """
    agree_product = np.ones(len(statements))
    disagree_product = np.ones(len(statements))
    for g in groups:
        a, d, n = _counts(values, labels == g)
        agree_product *= smoothed(a, n)
        disagree_product *= smoothed(d, n)
    a_all, d_all, n_all = _counts(values, np.ones(len(labels), dtype=bool))
    bar = 0.5 ** len(groups)
    found = []
    for direction, product in (("agree", agree_product), ("disagree", disagree_product)):
        for j in range(len(statements)):
            if product[j] > bar:
                share = float(product[j] ** (1.0 / len(groups)))
                found.append(
                    StatementScore(
                        statements[j],
                        direction,
                        float(product[j]),
                        int(a_all[j]),
                        int(d_all[j]),
                        int(n_all[j]),
                        share,
                    )
                )
    found.sort(key=lambda s: (s.direction != "agree", -s.score, _sort_key(s.statement)))
    return found[:limit]


def divisive(values, labels, groups, statements, limit=DIVISIVE_COUNT):
    """The statements that split the groups most: the spread of smoothed agreement, max - min."""
    if len(groups) < 2:
        return []
    shares = []
    for g in groups:
        a, d, n = _counts(values, labels == g)
        shares.append(smoothed(a, n) - smoothed(d, n))  # net lean, -1..1
    shares = np.array(shares)
    spread = shares.max(axis=0) - shares.min(axis=0)
    a_all, d_all, n_all = _counts(values, np.ones(len(labels), dtype=bool))
    order = sorted(range(len(statements)), key=lambda j: (-spread[j], _sort_key(statements[j])))
    return [
        StatementScore(
            statements[j],
            "split",
            float(spread[j] / 2.0),
            int(a_all[j]),
            int(d_all[j]),
            int(n_all[j]),
        )
        for j in order[:limit]
        if spread[j] > 0.5  # the groups lean a quarter of the scale apart at least
    ]


def compute(votes, statements=None, removed=(), min_votes=MIN_VOTES, k_range=K_RANGE):
    """The whole map from raw votes; see the module docstring for the steps.

    `votes` are (participant, statement, vote, time) rows; `statements` the statement ids (by
    default those voted on); `removed` the moderated-out ones. Runs numpy and scikit-learn on
    one thread: the map is one small job among others on a shared machine, and their thread
    pools oversubscribe a busy one badly.
    """
    votes = list(votes)
    with threadpool_limits(limits=1):
        return _compute(votes, statements, set(removed), min_votes, k_range)


def _compute(votes, statements, removed, min_votes, k_range):
    matrix = vote_matrix(votes, statements, removed)
    known = set(statements) if statements is not None else {row[1] for row in votes}
    removed_count = len(removed & known)
    everyone = {p: None for p in matrix.participants}
    per_row = (~np.isnan(matrix.values)).sum(axis=1)
    needed = min(min_votes, len(matrix.statements)) if matrix.statements else min_votes
    keep = per_row >= max(needed, 1)
    kept = [p for p, k in zip(matrix.participants, keep.tolist(), strict=True) if k]
    values = matrix.values[keep]
    empty = OpinionMap(everyone, {}, [], [], [], matrix.statements, None, ())
    if len(kept) < 3 or len(matrix.statements) < 2:
        return empty
    coords, explained = project(values, removed_count)
    labels, score = cluster(coords, k_range)
    if score is None:
        return empty
    groups = sorted(set(labels.tolist()))
    result_groups = []
    for g in groups:
        inside = labels == g
        center = coords[inside].mean(axis=0)
        result_groups.append(
            Group(
                g,
                int(inside.sum()),
                (float(center[0]), float(center[1])),
                representative(values, labels, g, matrix.statements),
            )
        )
    for p, g in zip(kept, labels.tolist(), strict=True):
        everyone[p] = int(g)
    coords_by = {p: (float(x), float(y)) for p, (x, y) in zip(kept, coords.tolist(), strict=True)}
    return OpinionMap(
        participants=everyone,
        coords=coords_by,
        groups=result_groups,
        consensus=consensus(values, labels, groups, matrix.statements),
        divisive=divisive(values, labels, groups, matrix.statements),
        statements=matrix.statements,
        silhouette=score,
        explained=explained,
    )


POLIS_COMMENT_COLUMNS = ("comment-id", "moderated")
POLIS_VOTE_COLUMNS = ("timestamp", "comment-id", "voter-id", "vote")


def read_polis_export(directory):
    """Votes, statements and moderated-out statements from a Polis export folder.

    Reads ``comments.csv`` (``comment-id``, ``moderated``: -1 removed) and ``votes.csv``
    (``timestamp``, ``comment-id``, ``voter-id``, ``vote``). Returns (votes, statements,
    removed, texts) ready for `compute`; ids stay as in the export (integers when they are).
    """
    import csv
    from pathlib import Path

    directory = Path(directory)

    def rows(name, needed):
        path = directory / name
        if not path.is_file():
            raise OpinionMapError(f"{path}: file not found (a Polis export has {name})")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in needed if c not in (reader.fieldnames or [])]
            if missing:
                raise OpinionMapError(f"{path}: missing column(s) {', '.join(missing)}")
            yield from enumerate(reader, start=2)

    def ident(value, path, line, column):
        value = (value or "").strip()
        if not value:
            raise OpinionMapError(f"{path} line {line}: empty {column}")
        return int(value) if value.lstrip("-").isdigit() else value

    def number(value, path, line, column):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            message = f"{path} line {line}: {column} {value!r} is not a number"
            raise OpinionMapError(message) from None

    statements, removed, texts = [], set(), {}
    for line, row in rows("comments.csv", POLIS_COMMENT_COLUMNS):
        cid = ident(row["comment-id"], "comments.csv", line, "comment-id")
        statements.append(cid)
        texts[cid] = row.get("comment-body") or ""
        if number(row["moderated"] or 0, "comments.csv", line, "moderated") < 0:
            removed.add(cid)
    votes = []
    for line, row in rows("votes.csv", POLIS_VOTE_COLUMNS):
        vote = number(row["vote"], "votes.csv", line, "vote")
        if vote not in (AGREE, PASS, DISAGREE):
            raise OpinionMapError(f"votes.csv line {line}: vote {vote} is not 1, 0 or -1")
        votes.append(
            (
                ident(row["voter-id"], "votes.csv", line, "voter-id"),
                ident(row["comment-id"], "votes.csv", line, "comment-id"),
                vote,
                number(row["timestamp"], "votes.csv", line, "timestamp"),
            )
        )
    return votes, statements, removed, texts


def as_dict(result, texts=None):
    """The map as plain JSON-ready data; `texts` maps statement ids to their text.

    Participant ids become strings (JSON object keys), as in Polis's exports.
    """
    texts = texts or {}

    def scored(score):
        return {
            "statement": score.statement,
            "text": texts.get(score.statement, ""),
            "direction": score.direction,
            "score": round(score.score, 6),
            "agree": score.agree,
            "disagree": score.disagree,
            "seen": score.seen,
            "share": round(score.share, 6),
        }

    return {
        "participants": {str(p): g for p, g in result.participants.items()},
        "groups": [
            {
                "group": g.number,
                "size": g.size,
                "center": [round(c, 6) for c in g.center],
                "representative": [scored(s) for s in g.representative],
            }
            for g in result.groups
        ],
        "consensus": [scored(s) for s in result.consensus],
        "divisive": [scored(s) for s in result.divisive],
        "statements": len(result.statements),
        "grouped": result.grouped_count,
        "silhouette": None if result.silhouette is None else round(result.silhouette, 6),
    }
