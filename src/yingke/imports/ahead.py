"""Reading and parsing the next batches in a second process while this one looks up and
writes (R-3.2 speed: the machine has two cores, and reading and parsing a visit row were
about a third of what the importing process spent on it).

    for rows, parsed in read_ahead(rows, header, 10_000, work):
        ...                                   # rows: [Row]; parsed: work(rows) from the child

The child is a fork of this process: it has the importer as it stands after `start`
(header, time zone, staff, …), reads the file on from where the parent stopped, and sends
each batch's (line, cells) and `work(batch)` through a pipe; the pipe holds about one batch,
so memory stays flat. It touches no database connection and ends with `os._exit` (through
multiprocessing), so the parent's connections are never closed by it. It ignores Ctrl-C
(the parent stops it) and ends when the parent is gone (a broken pipe). An error in the
child — a file that cannot be read on line N included — is raised in the parent at the
batch where it happened, so a run fails or stops exactly as it would reading in-process.

Forking a process that runs other threads can leave the child waiting on a lock one of
them held, so `available()` says no there (the job worker runs threads): that process
parses in-process, with the same results.
"""

import multiprocessing
import os
import signal
import threading
import traceback
from itertools import islice

from yingke.imports.pipeline import Row
from yingke.imports.reading import FileError


def available() -> bool:
    return (hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


def read_ahead(rows, header, size: int, work):
    """Yield (batch of Rows, work(batch)) for every `size` rows, `work` running in a child."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(rows, header, size, work, send, receive), daemon=True,
                            name="yingke-import-reader")
    child.start()
    send.close()
    try:
        while True:
            try:
                message = receive.recv()
            except EOFError:
                raise RuntimeError(f"the import's reading process ended unexpectedly (exit code {child.exitcode})") \
                    from None
            if message[0] == "end":
                return
            if message[0] == "error":
                raise message[1]
            _kind, lines, parsed = message
            yield [Row(line, cells, header) for line, cells in lines], parsed
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join(timeout=10)


def _child(rows, header, size, work, send, receive) -> None:
    # the pipe's reading end came along with the fork: with it open here, a parent killed
    # with -9 would leave this process waiting forever to write instead of ending
    receive.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while batch := [Row(line, cells, header) for line, cells in islice(rows, size)]:
            send.send(("batch", [(row.line, row.cells) for row in batch], work(batch)))
        send.send(("end",))
    except (BrokenPipeError, ConnectionResetError):
        return  # the importing process is gone
    except FileError as e:
        _send_error(send, FileError(str(e)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the run with it
        _send_error(send, RuntimeError("in the import's reading process:\n" + traceback.format_exc()))


def _send_error(send, error: Exception) -> None:
    try:
        send.send(("error", error))
    except OSError:
        pass
