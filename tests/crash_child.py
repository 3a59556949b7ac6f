"""Child process of tests/test_crash.py: imports synthetic forms and is killed with SIGKILL somewhere.

Why a script rather than the CLI: the kill must land inside the write, so the child does the
slow parts (interpreter start, opening the database, generating and scoring) first, says
``ready``, then writes ``chunks`` batches through ``Store.import_many`` (the call ingest_files
makes: several files, one transaction) and says ``committed k`` after each, ``closed`` at the end.

Usage: python -m tests.crash_child DB ROUND START CHUNKS FILES_PER_CHUNK FORMS_PER_FILE
"""
from __future__ import annotations

import sys

from perfcore.scoring import score_form
from perfcore.store import ImportFile, Store
from perfcore.synth import make_form


def file_name(round_no: int, chunk: int, k: int) -> str:
    """The name (and, encoded, the content) of one imported file: unique per round, chunk and file."""
    return f"crash-r{round_no:02d}-c{chunk}-f{k}.xlsx"


def main(argv: list[str]) -> None:
    db, round_no, start, chunks, per_chunk, per_file = argv[0], *map(int, argv[1:])
    store = Store(db)
    batches, i = [], start
    for chunk in range(chunks):
        files = []
        for k in range(per_chunk):
            name = file_name(round_no, chunk, k)
            forms = [make_form(n, file=name) for n in range(i, i + per_file)]
            files.append(ImportFile(name, name.encode(), forms, [score_form(f) for f in forms]))
            i += per_file
        batches.append(files)
    print("ready", flush=True)
    for chunk, files in enumerate(batches):
        reports = store.import_many(files)
        assert all(r.status == "imported" for r in reports), reports
        print(f"committed {chunk + 1}", flush=True)
    store.close()
    print("closed", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
