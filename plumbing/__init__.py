"""Plumbing: what makes the domain fast, kept out of the domain's way.

Domain code (accounts, deliberation, meetings) reaches it through six modules, its face:

- `plumbing.prepared`: `Prepared(lambda x: queryset, int)` runs a hot ORM query compiled once;
  `PreparedInsert(Model).create(...)`; `together(...)` runs several in one round trip;
  `on_server` and `typed` for a hand-written statement to be prepared on PostgreSQL.
- `plumbing.fragments`: cached HTML (`Fragment`, `fetch`, `local`, `form_html`, `personalise`),
  page links from numbers kept in a fragment (`PageLinks`, `peek_page`, `requested_page`), and
  `bump(scope, pk)`, which makes every fragment showing that scope stale.
- `plumbing.batching`: `Batch(send, wait)`, items gathered per key on the serving event loop and
  sent once when the wait ends (the live room's running count).
- `plumbing.fanout`: `publish(group, text)` once per worker process, which writes it to its own
  sockets in the group (`join`, `ready`, `leave`): the live room's broadcasts.
- `plumbing.processes`: `in_processes(work, items)`, the items shared with forked processes
  (a document of independent sheets printed on two cores).
- `plumbing.weasyprint_speedups`: `faster_weasyprint()`, a block in which WeasyPrint lays out
  and draws with stand-ins that give the same PDF faster (the documents' renders).

The rest is named by settings and config only: `plumbing.cache.RedisCache` (CACHES),
`plumbing.postgresql` (the database ENGINE), `plumbing.asgi_http` (the HTTP side of
config/asgi.py), `plumbing.collector` (the garbage collector of a worker, from config/asgi.py);
`plumbing.wsframes` serves `plumbing.fanout` (a frame's bytes built once, written to each
connection directly). Nothing here imports the domain apps; tests/unit/test_imports.py checks it.
"""
