"""The cyclic garbage collector in a worker process that holds thousands of sockets.

A worker's heap is mostly long-lived: Django with its templates and URLs, and for each open
socket the server's protocol and the consumer (about 40 KiB). CPython 3.11 scans all of it in
a full collection, which comes once the objects promoted out of the young generations since
the last one exceed a quarter of those it kept. Promoted are the objects alive when a young
collection happens, every 700 allocations by default: in a broadcast, the messages, tasks and
frames of thousands of sockets are alive for a moment, long enough to be caught. Measured with
5,000 room sockets over two uvicorn workers (bench.room, its 20 moves interleaved with 20
rounds of Channels' own fan-out): 22 full collections per worker, about 0.5 s of CPU each,
more than half of the workers' CPU and most of a move's 0.8 s per round.

`settle()`, once the application is loaded (config/asgi.py), collects the youngest generation
every `YOUNG_THRESHOLD` allocations instead, so what lives for a moment is mostly gone by then:
same run, at most one full collection per worker, and a move's CPU per round 0.13-0.14 s. It
also takes what is loaded so far out of the collector's sight (`gc.freeze()`; it lives as
long as the process anyway), which makes a full collection about a sixth cheaper (0.45 s
instead of 0.53 s with 2,500 sockets) but on its own does not make them rarer. Cyclic garbage
waits a little longer to be freed: at most that many allocations' worth.
"""

import gc

YOUNG_THRESHOLD = 20_000  # CPython's default: 700


def settle():
    """Tune this process's collector for a worker (call once, after loading the app)."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
