"""Migrations on real files: a version-1 database as e298a55 wrote it upgrades with every row
kept and a copy beside it; newer files are refused; read-only opens check the version too."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from perfcore.errors import StoreError
from perfcore.serialize import content_hash, form_from_dict
from perfcore.store import MIGRATIONS, SCHEMA_VERSION, Filters, Store, migrations
from perfcore.store.queries import DEDUCTION_GROUPS, SUMMARY_GROUPS
from tests.test_store import form, full

V1_TABLES = ("meta", "imports", "form_versions", "fund_lines", "indicators", "findings", "audit", "scenarios")
STEPS = ["0001_initial", "0002_reading_state", "0003_rules_version", "0004_accounts", "0005_canonical_content_hash",
         "0006_layouts"]


def snapshot(path: Path, tables: tuple[str, ...] = V1_TABLES) -> dict[str, list[tuple]]:
    """Every row of every table, in a fixed order (read without perfboard's code)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    finally:
        con.close()


def columns(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def backups(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.glob(f"{path.name}.v*-backup-*") if not p.name.endswith(".wal"))


def test_the_fixture_is_a_version_1_database(v1_db: Path) -> None:
    before = snapshot(v1_db)
    assert before["meta"] == [("schema_version", "1")]
    assert "reading_state" not in {c[1] for c in columns(v1_db)}
    assert {t: len(rows) for t, rows in before.items()} == {
        "meta": 1, "imports": 3, "form_versions": 6, "fund_lines": 24, "indicators": 104, "findings": 10,
        "audit": 6, "scenarios": 2,
    }


def test_a_version_1_database_upgrades_with_every_row_kept(v1_db: Path) -> None:
    before, digest = snapshot(v1_db), sha(v1_db)
    with Store(v1_db) as store:
        schema = store.schema()
    assert schema["version"] == SCHEMA_VERSION == len(STEPS)
    assert [name for name, _ in schema["migrations"]] == STEPS == [step.name for step in MIGRATIONS]
    after = snapshot(v1_db)
    for table in V1_TABLES:
        assert len(after[table]) == len(before[table]), table
        if table not in ("meta", "form_versions"):
            assert after[table] == before[table], table
    assert after["meta"] == [("schema_version", str(SCHEMA_VERSION))]
    # form_versions: every old column as it was but the content hash (now of the canonical content,
    # recomputed from each version's own form JSON), the two new ones NULL until a rescore
    names = [c[1] for c in columns(v1_db) if c[0] == "form_versions"]
    h, j = names.index("content_hash"), names.index("form_json")

    def but_hash(row: tuple) -> tuple:
        return row[:h] + row[h + 1:]

    assert [but_hash(row[:-2]) for row in after["form_versions"]] == [but_hash(row) for row in before["form_versions"]]
    assert [row[h] for row in after["form_versions"]] == [content_hash(json.loads(row[j])) for row in before["form_versions"]]
    assert {row[-2:] for row in after["form_versions"]} == {(None, None)}
    # a few values by name
    con = duckdb.connect(str(v1_db), read_only=True)
    try:
        versions = con.execute("SELECT project, version_no, is_current, deleted FROM form_versions ORDER BY id").fetchall()
        assert versions[1] == ("业务培训", 1, False, False) and versions[5] == ("业务培训", 2, True, False)
        assert versions[3] == ("窗口业务管理", 1, False, True)
        assert con.execute("SELECT name FROM scenarios ORDER BY id").fetchall() == [("培训次数达标",), ("执行率提高",)]
        assert [r[0] for r in con.execute("SELECT action FROM audit ORDER BY id").fetchall()] == [
            "import", "import", "replace", "delete", "restore", "delete"]
    finally:
        con.close()
    # the copy next to it is the file as it was, and a second open makes no other copy
    (copy,) = backups(v1_db)
    assert copy.name.startswith("v1.duckdb.v1-backup-") and sha(copy) == digest
    Store(v1_db).close()
    assert backups(v1_db) == [copy]
    assert snapshot(copy)["meta"] == [("schema_version", "1")]


def test_an_upgraded_database_has_the_tables_of_a_new_one(v1_db: Path, tmp_path: Path) -> None:
    Store(v1_db).close()
    Store(tmp_path / "new.duckdb").close()
    assert columns(v1_db) == columns(tmp_path / "new.duckdb")


def test_the_app_queries_work_on_an_upgraded_database(v1_db: Path) -> None:
    with Store(v1_db) as store:
        table = store.forms_table()
        assert len(table) == 4 and "窗口业务管理" not in set(table["project"])
        summary = store.dept_summary()
        assert summary["n_forms"] == 4 and summary["n_scored"] == 4 and summary["mean_score"] > 0
        assert store.dept_summary(Filters(year=2021))["n_forms"] == 4
        for by in DEDUCTION_GROUPS:
            assert not store.deductions(by=by).empty, by
        for by in SUMMARY_GROUPS:
            assert store.summary_by(by=by)["n_forms"].sum() == 4, by
        assert len(store.declared_vs_rule()) == 4 and not store.findings_by_code().empty
        history = store.history(2021, "上海市松江区行政服务中心", "业务培训")
        assert list(history["version_no"]) == [2, 1]
        vid = int(history["version_id"].iloc[0])
        con = duckdb.connect(str(v1_db))  # the same DuckDB instance as the store's
        stored_json = con.execute("SELECT form_json FROM form_versions WHERE id = ?", [vid]).fetchall()[0][0]
        con.close()
        assert store.load_form(vid) == form_from_dict(json.loads(stored_json))
        assert store.version_info(vid)["rules_version"] is None
        assert store.load_scenario(int(store.scenarios(vid)["scenario_id"].iloc[0]))["changes"][0]["value"] == "2次"
        assert len(store.imports_table()) == 3 and len(store.audit_table()) == 6
        # the writes work too (with a version-1 file the first import used to fail)
        new = form("新项目", "新单位")
        report = store.import_forms("new.xlsx", b"new", [new], [full(new)], user="测试")
        assert report.stored[0]["version_id"] == 7 and store.count_forms() == 5
        assert store.delete_version(7) and store.restore_version(7)
        assert store.save_scenario(7, "s", [], True) == 3


def test_a_database_from_a_newer_perfboard_is_refused(v1_db: Path) -> None:
    Store(v1_db).close()
    con = duckdb.connect(str(v1_db))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    before, n_backups = snapshot(v1_db), len(backups(v1_db))
    for read_only in (False, True):
        with pytest.raises(StoreError, match="更新版本的 perfboard") as err:
            Store(v1_db, read_only=read_only)
        assert f"版本 {SCHEMA_VERSION + 1}" in str(err.value)
    assert snapshot(v1_db) == before and len(backups(v1_db)) == n_backups
    Store(v1_db.parent / "other.duckdb").close()  # the refusal closed its connection: other files open


def test_read_only_opens_check_the_version_and_never_upgrade(v1_db: Path) -> None:
    digest = sha(v1_db)
    with pytest.raises(StoreError, match="只读方式无法升级") as err:
        Store(v1_db, read_only=True)
    assert "读写方式" in str(err.value)
    assert sha(v1_db) == digest and backups(v1_db) == []
    Store(v1_db).close()
    with Store(v1_db, read_only=True) as store:
        assert store.count_forms() == 4


def test_a_failing_step_leaves_the_file_as_it_was(v1_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(v1_db)
    broken = (*MIGRATIONS, migrations.Step("0099_broken", ("ALTER TABLE no_such_table ADD COLUMN x INTEGER",), "test"))
    monkeypatch.setattr(migrations, "MIGRATIONS", broken)
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", len(broken))
    with pytest.raises(StoreError, match=f"升级到 {len(broken)} 失败，文件未作任何改动") as err:
        Store(v1_db)
    (copy,) = backups(v1_db)
    assert str(copy) in str(err.value)
    assert snapshot(v1_db) == before  # steps 2 to 4 rolled back with the broken one
    assert "reading_state" not in {c[1] for c in columns(v1_db)}
    monkeypatch.undo()
    with Store(v1_db) as store:
        assert store.schema()["version"] == SCHEMA_VERSION and store.count_forms() == 4


def test_a_version_1_file_that_already_gained_reading_state_upgrades(v1_db: Path) -> None:
    """Files opened by the code between e298a55 and the migrations gained the column on open."""
    con = duckdb.connect(str(v1_db))
    con.execute("ALTER TABLE form_versions ADD COLUMN reading_state VARCHAR")
    con.execute("UPDATE form_versions SET reading_state = '需核实' WHERE id = 1")
    con.close()
    with Store(v1_db) as store:
        assert store.schema()["version"] == SCHEMA_VERSION
        assert store.version_info(1)["reading_state"] == "需核实"
        assert store.dept_summary()["n_to_verify"] == 1


def test_a_backup_of_a_version_1_database_restores_upgraded(v1_db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "old-backup"
    con = duckdb.connect(str(v1_db), read_only=True)
    con.execute(f"EXPORT DATABASE '{folder}' (FORMAT parquet)")
    con.close()
    with Store.restore(folder, tmp_path / "restored.duckdb") as store:
        assert store.schema()["version"] == SCHEMA_VERSION
        assert store.count_forms() == 4 and len(store.audit_table()) == 6
    assert len(backups(tmp_path / "restored.duckdb")) == 1


def test_new_databases_record_every_step(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with Store(path) as store:
        first = store.schema()
    assert first["version"] == SCHEMA_VERSION and [n for n, _ in first["migrations"]] == STEPS
    with Store(path) as store:
        assert store.schema() == first
    assert backups(path) == []
    with Store(":memory:") as memory:
        assert memory.schema()["version"] == SCHEMA_VERSION


def test_files_that_are_not_perfboard_databases(tmp_path: Path) -> None:
    half = tmp_path / "half.duckdb"
    con = duckdb.connect(str(half))
    con.execute("CREATE TABLE form_versions (id BIGINT)")
    con.close()
    with pytest.raises(StoreError, match="缺少结构版本记录"):
        Store(half)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(StoreError, match="不是 perfboard 数据库"):
        Store(empty, read_only=True)
    Store(empty).close()  # read-write: a new perfboard database
    with Store(empty, read_only=True) as store:
        assert store.count_forms() == 0


def test_a_version_3_database_gains_accounts_and_stays_single_user(v1_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema before accounts (step 3) upgrades to tables for accounts and sessions, empty:
    the app stays in single-user mode until the first account is added."""
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:3])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 3)
    Store(v1_db).close()
    monkeypatch.undo()
    assert "accounts" not in {c[0] for c in columns(v1_db)}
    before = snapshot(v1_db)
    with Store(v1_db) as store:
        assert store.schema()["version"] == SCHEMA_VERSION and [n for n, _ in store.schema()["migrations"]] == STEPS
        assert store.count_accounts() == 0 and store.count_forms() == 4
        store.add_account("管理员", "admin", password="足够长的密码1234", by="测试")
        account, token = store.sign_in("管理员", "足够长的密码1234")
        assert account.is_admin and store.session_account(token) == account
    after = snapshot(v1_db)
    assert all(after[t] == before[t] for t in V1_TABLES if t not in ("meta", "audit", "form_versions"))
    assert len(after["form_versions"]) == len(before["form_versions"])  # their hashes: step 5
    assert [r[2] for r in after["audit"][len(before["audit"]):]] == ["account", "sign_in"]
    assert len(backups(v1_db)) == 2  # one copy before each upgrade (1 → 3, 3 → 5)


def test_step_5_rehashes_stored_versions_so_their_own_forms_read_as_unchanged(v1_db: Path) -> None:
    """Hashes written before the canonical content (step 5) are recomputed from each version's
    form JSON: importing a stored form again is "same", not a new version."""
    con = duckdb.connect(str(v1_db), read_only=True)
    try:
        old = dict(con.execute("SELECT id, content_hash FROM form_versions").fetchall())
    finally:
        con.close()
    with Store(v1_db) as store:
        current = [int(v) for v in store.forms_table()["version_id"]]
        forms = [store.load_form(v) for v in current]
        assert [store.form_status(f) for f in forms] == ["same"] * len(forms)
        changed = [v for v in current if store.version_info(v)["content_hash"] != old[v]]
        assert changed  # the fixture's hashes were of the raw, not the canonical, content
        report = store.import_forms("again.xlsx", b"again", forms)
        assert report.status == "skipped" and len(report.skipped) == len(forms)




KILL_MID_COPY = r"""
import os, shutil, signal, sys
from pathlib import Path
from perfcore.store import backup

def copyfile(src, dst, *, follow_symlinks=True):
    # Write half the file under whatever name copy_beside chose, then die as a kill would.
    data = Path(src).read_bytes()
    with open(dst, "wb") as out:
        out.write(data[: len(data) // 2])
        out.flush()
    os.kill(os.getpid(), signal.SIGKILL)

shutil.copyfile = copyfile
backup.copy_beside(Path(sys.argv[1]), "v1-backup")
"""


def test_a_kill_during_the_copy_before_an_upgrade_leaves_no_backup_under_its_final_name(v1_db: Path) -> None:
    import signal
    import subprocess
    import sys

    digest = sha(v1_db)
    done = subprocess.run([sys.executable, "-c", KILL_MID_COPY, str(v1_db)], capture_output=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == -signal.SIGKILL  # killed inside the copy, as intended
    assert backups(v1_db) == []  # the half-written copy is not under a backup's name
    assert sha(v1_db) == digest
    with Store(v1_db) as store:  # the next start upgrades and takes a whole copy
        assert store.count_forms() == 4
    (copy,) = backups(v1_db)
    assert sha(copy) == digest
