"""Natural order for flat and building labels: 2号楼 before 10号楼, 101 before 1001, 2-101
before 10-101.

`natural_key` turns a label into a string whose plain (database) order is the natural one: each
run of digits is left-padded with zeros to a fixed width. Units and electorate entries store it
(`sort_key`), so every list sorts in the database and pages stay correct.
"""

import re

DIGITS = re.compile(r"\d+")
WIDTH = 10
MAX_LENGTH = 200


def natural_key(*parts):
    """The sort key of a label made of `parts` (e.g. building, stairwell, number)."""
    text = "-".join(str(p) for p in parts if p not in (None, ""))
    return DIGITS.sub(lambda m: m.group().lstrip("0").rjust(WIDTH, "0"), text)[:MAX_LENGTH]
