"""Two real transactions at once (claims, owner moves, follow-up ordinals, the cadence scheduler).

`shared_database(tmp_path)` (a context manager for fixtures): on PostgreSQL the test database
itself; on SQLite a file copy of it with the production settings (WAL, busy_timeout, BEGIN
IMMEDIATE), because an in-memory database cannot be shared by threads. `race(*calls)` runs each
call in its own thread and connection, released together, and returns (results, errors);
`db_read(fn)` reads on a connection of its own (on SQLite: the file the threads wrote)."""

import contextlib
import sqlite3
import threading

from django.db import connection, connections


@contextlib.contextmanager
def shared_database(tmp_path):
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    settings, name = connection.settings_dict, connection.settings_dict["NAME"]
    settings["NAME"] = str(path)  # new connections (the threads') open the file
    try:
        yield
    finally:
        settings["NAME"] = name


def race(*calls, timeout: float = 60):
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = fn()
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads)
    return results, errors


def db_read(fn):
    return race(fn)[0][0] if connection.vendor == "sqlite" else fn()
