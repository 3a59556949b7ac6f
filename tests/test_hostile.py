"""The hostile-upload corpus: every case gives exactly its documented outcome, in bounded memory.

tests/fixtures/hostile/ is built by scripts/make_hostile_corpus.py; manifest.json pairs each
file with ``expect_code`` (the ReadError code) or ``expect_forms`` (+ notes, fields, findings).
Bombs (``isolate``) run in a child process limited to 1 GB of address space: without the
guard, far_cell.xlsx alone makes calamine ask for 512 GB and abort the interpreter. Cases only
the worker limits stop (``worker``) go through perfcore.ingest, as every upload does.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from perfcore.ingest import ingest_files, preview_files
from perfcore.reader import WorkbookResult, read_workbook
from perfcore.scoring import score_form
from perfcore.store import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "hostile"
MANIFEST: list[dict] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
CASES = {case["file"]: case for case in MANIFEST}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
MEMORY_LIMIT = 1 << 30  # bytes of address space for the child process
TIMEOUT = 60            # seconds; a guard that works answers in well under one

CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from perfcore.reader import read_workbook
path, name = sys.argv[1], sys.argv[2]
result = read_workbook(open(path, "rb").read(), name)
error = result.error
print(json.dumps({{
    "code": error.code if error else None,
    "message": str(error) if error else "",
    "cell": error.cell if error else "",
    "forms": len(result.forms),
}}, ensure_ascii=False))
"""


def _read(case: dict) -> dict:
    """Outcome of read_workbook on one case: in this process, or in a memory-limited child."""
    path = CORPUS / case["file"]
    if case.get("worker"):
        (preview,) = preview_files([(case["file"], path.read_bytes())])
        error = preview.error
        return {"code": error.code if error else None, "message": str(error) if error else "",
                "cell": error.cell if error else "", "forms": len(preview.forms)}
    if not case.get("isolate"):
        result = read_workbook(path.read_bytes(), case["file"])
        return _outcome(result)
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(limit=MEMORY_LIMIT), str(path), case["file"]],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT,
    )
    assert done.returncode == 0, f"child died (memory limit?): {done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def _outcome(result: WorkbookResult) -> dict:
    error = result.error
    return {
        "code": error.code if error else None,
        "message": str(error) if error else "",
        "cell": error.cell if error else "",
        "forms": len(result.forms),
        "result": result,
    }


def test_corpus_is_big_enough_and_every_file_is_listed():
    files = {p.name for p in CORPUS.iterdir() if p.name != "manifest.json"}
    assert len(MANIFEST) >= 30
    assert files == set(CASES)
    for case in MANIFEST:
        assert ("expect_code" in case) != ("expect_forms" in case), case["file"]
        assert CHINESE.search(case["why"])
    assert sum((CORPUS / name).stat().st_size for name in files) < 5 * 1024 * 1024


def _param(case: dict):
    """A case whose right outcome is not implemented yet fails loudly once it is (strict xfail)."""
    gap = case.get("known_gap")
    return pytest.param(case, id=case["file"], marks=[pytest.mark.xfail(strict=True, reason=gap)] if gap else [])


@pytest.mark.parametrize("case", [_param(case) for case in MANIFEST])
def test_case_gives_its_documented_outcome(case):
    got = _read(case)
    if "expect_code" in case:
        assert got["code"] == case["expect_code"], got["message"]
        assert got["forms"] == 0
        message = got["message"]
        assert message.startswith(f"文件“{case['file']}”")
        assert CHINESE.search(message.split("：", 1)[1])
        assert not re.search(r"Traceback|Error|Exception|0x[0-9a-f]{4}", message)
        if "expect_cell" in case:
            assert got["cell"] == case["expect_cell"]
            assert f"单元格 {case['expect_cell']}" in message
        return
    assert got["code"] is None, got["message"]
    assert got["forms"] == case["expect_forms"]
    result: WorkbookResult = got["result"]
    if "expect_note" in case:
        assert any(case["expect_note"] in note for note in result.notes), result.notes
    for field, value in case.get("expect_fields", {}).items():
        assert getattr(result.forms[0], field).value == value
    if "expect_indicator_note" in case:  # a cached error value reads as the text a person sees
        assert result.forms[0].indicators[0].note.value == case["expect_indicator_note"]
    if "expect_findings" in case:
        codes = {finding.code for finding in score_form(result.forms[0]).findings}
        assert set(case["expect_findings"]) <= codes, codes


@pytest.mark.parametrize("workers", [1, 2])
def test_a_mixed_upload_stores_the_good_files_and_nothing_of_the_hostile_ones(tmp_path, workers, caplog):
    names = ["valid_form.xlsx", "zip_bomb.xlsx", "encrypted.xlsx", "stacked_5.xlsx", "formula_no_cache.xlsx",
             "negative_amount.xlsx", "truncated.xlsx", "duplicate_forms.xlsx"]
    items = [(name, (CORPUS / name).read_bytes()) for name in names]
    with Store(tmp_path / "perfboard.duckdb") as store:
        result = ingest_files(items, store, user="测试", workers=workers)
        assert "worker died" not in caplog.text  # errors travel back from worker processes intact
        by_name = {f.name: f for f in result.files}
        failed = {name for name, f in by_name.items() if f.error is not None}
        assert failed == {"zip_bomb.xlsx", "encrypted.xlsx", "formula_no_cache.xlsx", "negative_amount.xlsx",
                          "truncated.xlsx"}
        for name in failed:
            assert by_name[name].error.code == CASES[name]["expect_code"]
            assert by_name[name].report is None
        # the valid form is also one of the five stacked seed forms, and the duplicate file holds
        # one of them twice: 5 distinct forms are current
        assert store.count_forms() == 5
        imported = set(store.imports_table()["file_name"])
        assert imported == {"valid_form.xlsx", "stacked_5.xlsx", "duplicate_forms.xlsx"}


@pytest.mark.parametrize("name", ["far_cell.xlsx", "encrypted.xlsx", "pdf_renamed.xlsx"])
def test_cli_refuses_hostile_files_with_a_chinese_message_and_no_traceback(name):
    done = subprocess.run(
        [sys.executable, "-m", "perfcore", "parse", str(CORPUS / name)],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.startswith(f"错误：文件“{name}”")
    assert CHINESE.search(done.stderr.split("：", 2)[-1])


def test_duplicate_forms_in_one_file_are_stored_once(tmp_path):
    case = CASES["duplicate_forms.xlsx"]
    with Store(tmp_path / "perfboard.duckdb") as store:
        result = ingest_files([(case["file"], (CORPUS / case["file"]).read_bytes())], store)
        assert result.ok and result.files[0].n_forms == case["expect_forms"]
        assert store.count_forms() == case["expect_stored"]
