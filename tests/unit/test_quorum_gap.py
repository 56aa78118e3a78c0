"""The distance to the 2/3 participation lines that a reminder states (DOMAIN.md §3.5, A)."""

from decimal import Decimal

from deliberation.rules import quorum_gap

TOTAL_AREA, TOTAL_HEADS = Decimal("45000.60"), 420


def test_on_the_lines_nothing_is_missing():
    assert quorum_gap(TOTAL_AREA, TOTAL_HEADS, Decimal("30000.40"), 280) == (0, Decimal("0.00"))


def test_one_owner_and_one_square_metre_short():
    assert quorum_gap(TOTAL_AREA, TOTAL_HEADS, Decimal("29999.40"), 279) == (1, Decimal("1.00"))


def test_the_gap_rounds_up_to_the_next_hundredth_and_head():
    # 2/3 of 100.01 m² is 66.673…: 66.68 more are needed, 66.67 would fall short
    assert quorum_gap(Decimal("100.01"), 4, Decimal("0"), 0) == (3, Decimal("66.68"))
