"""What a piece of code sent to the database, as SQL, for tests that count round trips."""

from plumbing import prepared

SET_UP = ("PREPARE ", "SAVEPOINT ", "RELEASE SAVEPOINT ")


def round_trips(queries):
    """The messages in a CaptureQueriesContext, each as its SQL, without the set-up of a
    server-side prepared statement (PREPARE, in a savepoint inside a transaction: once per
    pooled connection) and with each EXECUTE replaced by the statement it runs."""
    names = {name: sql for sql, name in prepared._NAMES.items()}
    sent = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith(SET_UP):
            continue
        parts = []
        for part in sql.split(";\n"):
            if part.startswith("EXECUTE gongyi_"):
                part = names[part.split()[1].split("(")[0]]
            parts.append(part)
        sent.append(";\n".join(parts))
    return sent
