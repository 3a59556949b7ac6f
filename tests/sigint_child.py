"""Child process of tests/test_cli.py's Ctrl-C test: ``python -m perfcore`` with a handshake.

Why not the plain CLI: the test must interrupt the import *midway*, after at least one batch
is stored and before the last, on any machine, loaded or not. A sleep cannot know when that
is. So this runs the same entry point, ``perfcore.cli.main``, with one change: the first
``Store.import_many`` (the one transaction per batch that ``ingest_files`` makes) commits,
then writes ``committed FILES workers N`` to the handshake pipe and blocks until a signal
arrives. The test reads that line, sends SIGINT to the process group, and the real
KeyboardInterrupt rises out of the wait, through ``ingest_files`` (which stops the worker
pool and cancels unstarted files) to the CLI's Ctrl-C handling.

The wait is on this process's stdin, a pipe the test holds open and never writes: if the
test goes away the pipe closes and the child stops instead of lingering; with no signal
within ``WAIT_SECONDS`` it exits with an error rather than finish the import unnoticed.

SIGINT is set back to Python's KeyboardInterrupt handler first: a test run started as a
background job (``make test &``, some CI runners) inherits SIGINT *ignored*, and Python then
leaves it ignored, so the signal would never arrive. A terminal's Ctrl-C finds the handler.

Usage: python -m tests.sigint_child HANDSHAKE_FD CLI_ARGS...  (e.g. ``5 import DIR --db FILE``)
"""
from __future__ import annotations

import multiprocessing
import os
import select
import signal
import sys
from collections.abc import Sequence

from perfcore.cli import main
from perfcore.store import ImportFile, ImportReport, Store

WAIT_SECONDS = 60


def hook_first_commit(handshake_fd: int) -> None:
    """After the first batch commits: tell the test (and how many workers are alive), then block."""
    real = Store.import_many
    told = False

    def import_many(self: Store, files: Sequence[ImportFile], *, user: str = "") -> list[ImportReport]:
        nonlocal told
        reports = real(self, files, user=user)
        if not told:
            told = True
            workers = len(multiprocessing.active_children())  # the pool's forked readers
            os.write(handshake_fd, f"committed {len(reports)} workers {workers}\n".encode())
            os.close(handshake_fd)
            ready, _, _ = select.select([sys.stdin], [], [], WAIT_SECONDS)  # SIGINT raises out of here
            reason = "the test closed the pipe" if ready else f"no SIGINT within {WAIT_SECONDS} s"
            raise SystemExit(f"sigint_child: {reason}; the import was not interrupted")
        return reports

    Store.import_many = import_many  # type: ignore[method-assign]


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, also when run in the background
    hook_first_commit(int(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))
