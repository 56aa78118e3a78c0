"""What per-message compression (permessage-deflate) would cost the live room per frame.

Run from the repository root (SQLite, nothing else needed):

    .venv/bin/python -m bench.room_deflate
    .venv/bin/python -m bench.room_deflate --sockets 200 --moves 10

Browsers offer permessage-deflate on every websocket. daphne (autobahn) does not accept it, so
`make run` sends plain frames; uvicorn (websockets) accepts it unless started with
`--ws-per-message-deflate false`, with a compressor per connection (window 2^15, zlib's
memLevel 8: uvicorn passes no settings) that keeps its context from frame to frame. A frame
compressed for one socket cannot be reused for another, so the cost is per socket and frame.

The frames are the room's own: a meeting of `--moves` + 1 items is moved on item by item
through the service, and each participant frame it publishes is recorded. Then each frame in
turn is written, as the server writes it, for `--sockets` connections: with no extension (the
peer), with uvicorn's permessage-deflate, and with websockets' own lighter default (window
2^12, memLevel 5); interleaved frame by frame. Figures: CPU per frame and socket, bytes on the
wire, the compressor's memory per connection (tracemalloc sees zlib's allocations), and what
one broadcast to 5,000 sockets costs.
"""

import argparse
import statistics
import tracemalloc

from bench import room
from bench._compare import interleave, load_average, refuse_out_of_range
from bench._compare import markdown as markdown_block
from bench._django import machine_line, print_table, setup_django, teardown_django

LARGE_ROOM = 5000


def record_frames(moves):
    """The participant frames (Chinese) that `moves` agenda moves publish."""
    # The project's modules need Django set up first.
    from meetings import rendering, services
    from meetings.models import Meeting

    meeting_id, _chair_cookie, _cookies, _items = room.make_room(50, moves)
    meeting = Meeting.objects.select_related("chair").get(pk=meeting_id)
    frames = []
    real = rendering.fanout.publish

    def keep(group, text):
        if group == rendering.group_name(meeting_id, "participant", "zh-hans"):
            frames.append(text.encode())

    rendering.fanout.publish = keep
    try:
        current = None
        for _ in range(moves):
            services.next_item(meeting, by=meeting.chair, current_id=current)
            current = meeting.items.get(status="open").pk
    finally:
        rendering.fanout.publish = real
    return frames


def connections(count, window, settings):
    from websockets.extensions.permessage_deflate import PerMessageDeflate

    if window is None:
        return [[] for _ in range(count)]
    return [[PerMessageDeflate(False, False, 15, window, dict(settings))] for _ in range(count)]


def memory_per_connection(window, settings, count=200):
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = connections(count, window, settings)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / count


def main():
    from websockets.frames import TEXT, Frame

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--moves", type=int, default=20)
    args = parser.parse_args()
    refuse_out_of_range(
        parser, (("--sockets", args.sockets, 1, 20000), ("--moves", args.moves, 2, 200))
    )
    setup_django(name="room_deflate")
    try:
        frames = record_frames(args.moves)
    finally:
        teardown_django()

    kinds = {
        "peer: plain frames (daphne; uvicorn --ws-per-message-deflate false)": (None, {}),
        "permessage-deflate as uvicorn accepts it (window 2^15, memLevel 8)": (15, {}),
        "permessage-deflate, websockets' light default (window 2^12, memLevel 5)": (
            12,
            {"memLevel": 5},
        ),
    }
    sockets = {name: connections(args.sockets, *kind) for name, kind in kinds.items()}
    sizes = {name: [] for name in kinds}
    position = {"frame": 0}

    def writer(name):
        def write():
            frame = Frame(TEXT, frames[position["frame"]])
            size = 0
            for extensions in sockets[name]:
                size = len(frame.serialize(mask=False, extensions=extensions))
            sizes[name].append(size)

        return write

    def next_frame(number):
        position["frame"] = number % len(frames)

    samples = interleave({name: writer(name) for name in kinds}, len(frames), between=next_frame)
    plain = statistics.median(len(f) for f in frames)
    headers = [
        "figure",
        "CPU µs per frame and socket (median)",
        "CPU ms per broadcast to 5,000 sockets",
        "wall ms per frame to all sockets (median)",
        "bytes on the wire per frame (median)",
        "memory per connection KiB",
        "load (1 min)",
    ]
    rows = []
    for name, (window, settings) in kinds.items():
        cpu = statistics.median(s.cpu for s in samples[name]) / args.sockets
        wall = statistics.median(s.wall for s in samples[name])
        loads = [s.load for s in samples[name]]
        memory = memory_per_connection(window, settings) / 1024 if window else 0
        rows.append(
            [
                name,
                f"{cpu * 1e6:.1f}",
                f"{cpu * LARGE_ROOM * 1000:.0f}",
                f"{wall * 1000:.1f}",
                f"{statistics.median(sizes[name]):.0f}",
                f"{memory:.0f}",
                f"{min(loads):.1f}–{max(loads):.1f}",
            ]
        )
    summary = (
        f"{len(frames)} participant frames of the room's own agenda moves (median {plain:.0f} B "
        f"of text), each written for {args.sockets} connections per kind, interleaved frame "
        "by frame; the compressors keep their context from frame to frame, as on a connection"
    )
    print(summary)
    print(f"{machine_line()}; load average {load_average()}")
    print_table(rows, headers)
    print()
    print(
        markdown_block(
            f"room_deflate: {args.sockets} connections, {len(frames)} frames",
            f".venv/bin/python -m bench.room_deflate --sockets {args.sockets} --moves {args.moves}",
            rows,
            headers,
            notes=[summary],
        )
    )


if __name__ == "__main__":
    main()
