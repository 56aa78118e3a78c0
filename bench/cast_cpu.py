"""CPU per ballot and per vote page, in the Django process and in PostgreSQL, in-process.

    .venv/bin/python -m bench.cast_cpu            # PostgreSQL on 127.0.0.1

Builds bench/cast.py's estate (2,000 signed-in owners, one open vote) in a throwaway database,
then with the test client (no server, no network) casts 1,000 ballots (htmx POSTs, as a phone
sends them) and reads the vote page 1,000 times. It measures `time.process_time()` of this
process and the CPU time /proc gives for the PostgreSQL backends serving it: figures that
other work on the machine distorts far less than rates. The baseline, in the same run, is
GET /healthz by the same signed-in owners. Nothing is recorded.
"""

import os
import secrets
import time

from bench._django import machine_line, print_table, setup_django, teardown_django

PG_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench_cast_cpu"
OWNERS = 2000
TICK = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pids):
    total = 0.0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) * 1000 / TICK
    return total


def main():
    from bench.cast import SERVER_ENV, build

    os.environ.update(SERVER_ENV)
    connection = setup_django(database_url=PG_URL, name="cast_cpu")
    try:
        import psycopg
        from django.test import Client

        vote, matter, sessions = build(OWNERS)
        name = connection.settings_dict["NAME"]
        monitor = psycopg.connect("postgresql://postgres@127.0.0.1/postgres", autocommit=True)
        csrf = secrets.token_hex(16)

        def client(session):
            c = Client(HTTP_HOST="127.0.0.1", HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=csrf)
            c.cookies["sessionid"] = session
            c.cookies["csrftoken"] = csrf
            return c

        def health(session):
            assert client(session).get("/healthz").status_code == 200

        def cast(session):
            response = client(session).post(
                f"/votes/{vote.pk}/",
                f"m{matter.pk}=yes",
                content_type="application/x-www-form-urlencoded",
            )
            assert response.status_code == 200 and b"data-receipt" in response.content

        def page(session):
            assert client(session).get(f"/votes/{vote.pk}/").status_code == 200

        def measure(function, keys):
            pids = [
                row[0]
                for row in monitor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
                )
            ]
            database, start = _backend_cpu(pids), time.process_time()
            for key in keys:
                function(key)
            python = (time.process_time() - start) * 1000 / len(keys)
            return python, (_backend_cpu(pids) - database) / len(keys)

        for key in sessions[:100]:  # warm: templates, caches, the pool's prepared statements
            cast(key)
            page(key)
            health(key)
        rows = []
        base = None
        for label, function, keys in (
            ("GET /healthz, signed in (baseline)", health, sessions[100:1100]),
            ("POST ballot (cast)", cast, sessions[100:1100]),
            ("GET vote page (htmx)", page, sessions[100:1100]),
        ):
            python, database = measure(function, keys)
            base = base or python + database
            ratio = (python + database) / base
            rows.append((label, f"{python:.2f}", f"{database:.2f}", f"{ratio:.2f}"))
        print(f"{OWNERS} owners, one open vote, PostgreSQL; 1,000 requests each, test client")
        print(machine_line())
        print_table(
            rows, ["request", "Django CPU ms", "PostgreSQL CPU ms", "total ratio to baseline"]
        )
        monitor.close()
    finally:
        connection.close()
        teardown_django()


if __name__ == "__main__":
    main()
