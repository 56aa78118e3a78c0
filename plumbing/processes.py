"""Work shared with processes forked from this one, for CPU-bound work a second core can take.

`in_processes(work, items)` is `[work(item) for item in items]`, the first item here and each
other in a child forked from this process, so the children start with whatever this process
has warm (fonts, stylesheets). Used by deliberation/documents/pdf.py to print a document of
independent sheets on two cores.
"""

import os
import signal
import traceback


class PartFailed(RuntimeError):
    """A part of a document printed in another process failed; the message says how."""


def in_processes(work, items):
    """[work(item) for item in items]: the first here, each other in a process forked from
    this one, so the children start with the fonts and stylesheets warm. A child only lays
    out and writes a PDF from a string (no database, no Django) and leaves by os._exit,
    so nothing of the parent's (connections, atexit) runs in it. A child that fails or dies
    is reported as PartFailed once every child has ended; none is left waiting."""
    children = []
    try:
        for item in items[1:]:
            children.append(_fork(work, item))
        results = [work(items[0])]
    except BaseException:
        for pid, pipe in children:
            os.kill(pid, signal.SIGKILL)
            pipe.close()
            os.waitpid(pid, 0)
        raise
    failures = []
    for number, (pid, pipe) in enumerate(children, start=2):
        with pipe:
            data = pipe.read()
        _pid, status = os.waitpid(pid, 0)
        if data[:1] == b"\0":
            results.append(data[1:])
        elif data[:1] == b"\1":
            failures.append(f"part {number}: {data[1:].decode(errors='replace')}")
        else:
            code = os.waitstatus_to_exitcode(status)
            failures.append(f"part {number}: the process ended with status {code}, no PDF")
    if failures:
        raise PartFailed("; ".join(failures))
    return results


def _fork(work, item):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read_end)
            try:
                data = b"\0" + work(item)
                code = 0
            except BaseException:
                data = b"\1" + traceback.format_exc(limit=-8).encode()
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, os.fdopen(read_end, "rb")
