"""The import service and the command line read with the layouts staff taught (对照): a template the
reader cannot place reads 无法计分 until a mapping is saved, then this file and others of the same
template read 完整 with the note, also in worker processes; undoing the mapping brings it back."""
from __future__ import annotations

import json
from pathlib import Path

from helpers.workbook_builder import FormSpec, one_form
from test_store_layouts import HEADERS, save

from perfcore.ingest import ingest_files, preview_files
from perfcore.store import Store
from tests.test_cli import no_traceback, run

UNKNOWN = FormSpec(project="自创模板项目", ind_headers=HEADERS)
NOTE = "按已保存的对照读取（"


def files() -> list[tuple[str, bytes]]:
    """The taught file, a second of the same template (other project, unit and figures), and a standard form."""
    return [("自创.xlsx", one_form(UNKNOWN)),
            ("第二个.xlsx", one_form(FormSpec(project="同模板第二个项目", unit="另一个实施单位", ind_headers=HEADERS,
                                            total=(100, 93)))),
            ("标准.xlsx", one_form(FormSpec(project="标准模板项目")))]


def states(previews) -> list[tuple[str, str, bool]]:
    return [(p.forms[0].project, p.forms[0].state, any(n.startswith(NOTE) for n in p.forms[0].scorecard().form.notes))
            for p in previews]


def test_a_saved_mapping_reads_the_template_completely_and_undo_returns_it(tmp_path: Path) -> None:
    with Store(tmp_path / "ingest.duckdb") as store:
        before = preview_files(files(), layouts=store.reading_layouts())
        assert states(before) == [("自创模板项目", "无法计分", False), ("同模板第二个项目", "无法计分", False),
                                  ("标准模板项目", "完整", False)]
        layout_id = save(store)
        after = preview_files(files(), layouts=store.reading_layouts())
        assert states(after) == [("自创模板项目", "完整", True), ("同模板第二个项目", "完整", True),
                                 ("标准模板项目", "完整", False)]
        assert [p.taught for p in after] == [{"表1": layout_id}, {"表1": layout_id}, {}]
        second = after[1].forms[0].scorecard()
        assert second.grade == "优" and second.declared_total == 93 and len(second.form.indicators) == 7
        assert store.undo_layout(layout_id)
        assert states(preview_files(files(), layouts=store.reading_layouts())) == states(before)


def test_the_command_line_import_reads_with_the_stores_mappings_in_worker_processes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):  # enough files for the worker processes (two files a task)
        for name, data in files()[:2]:
            (folder / f"{n}-{name}").write_bytes(data)
    with Store(tmp_path / "cli.duckdb") as store:
        save(store)
        result = ingest_files(sorted(folder.iterdir()), store, workers=2)
        assert result.ok and len(result.files) == 6
        table = store.forms_table()
        assert set(table["reading_state"]) == {"完整"} and len(table) == 2


def test_parse_and_score_with_db_read_with_stored_mappings(tmp_path: Path) -> None:
    book = tmp_path / "第二个.xlsx"
    book.write_bytes(files()[1][1])
    db = tmp_path / "taught.duckdb"
    with Store(db) as store:
        save(store)
    plain = run(tmp_path, "parse", "--json", book)
    assert plain.returncode == 0 and json.loads(plain.stdout)["forms"][0]["indicators"] == []
    taught = run(tmp_path, "parse", "--json", "--db", db, book)
    no_traceback(taught)
    form = json.loads(taught.stdout)["forms"][0]
    assert len(form["indicators"]) == 7 and any(n.startswith(NOTE) for n in form["notes"])
    scored = run(tmp_path, "score", "--json", "--db", db, book)
    assert scored.returncode == 0 and json.loads(scored.stdout)["forms"][0]["grade"] == "优"
    missing = run(tmp_path, "parse", "--db", tmp_path / "无此文件.duckdb", book)
    assert missing.returncode == 2 and "数据库文件" in missing.stderr and "不存在" in missing.stderr
    no_traceback(missing)
