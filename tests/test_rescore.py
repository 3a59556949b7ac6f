"""Stored scores follow the rules: each version records its policy and rules version, and a
rescore makes the department figures equal the scorecard's live scores again (real files)."""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from perfcore import checks, scoring
from perfcore.errors import StoreError
from perfcore.policy import DEFAULT_POLICY, EXEC20_POLICY
from perfcore.reader import read_workbook
from perfcore.samples import SHEETS_WORKBOOK
from perfcore.scoring import rules_version, score_form
from perfcore.serialize import scorecard_to_dict
from perfcore.store import Store

ROOT = Path(__file__).resolve().parent.parent
CURRENT = (DEFAULT_POLICY.name, rules_version())


def seeded(path: Path) -> Path:
    """The five seed forms read from their workbook, scored and stored as an import does."""
    result = read_workbook(SHEETS_WORKBOOK)
    with Store(path) as store:
        store.import_forms(SHEETS_WORKBOOK.name, SHEETS_WORKBOOK.read_bytes(), result.forms,
                           [score_form(f) for f in result.forms], user="测试")
    return path


def tamper(path: Path, sql: str, params: list | None = None) -> None:
    """Change stored rows behind the store's back, as older rules would have left them."""
    con = duckdb.connect(str(path))
    try:
        con.execute(sql, params or [])
    finally:
        con.close()


def live_totals(store: Store) -> dict[str, float | None]:
    """What the scorecard shows: each current form's stored form scored now."""
    table = store.forms_table()
    return {row.project: score_form(store.load_form(int(row.version_id))).total for row in table.itertuples()}


def test_after_a_rescore_the_department_page_and_the_scorecard_agree(tmp_path: Path) -> None:
    db = seeded(tmp_path / "db.duckdb")
    with Store(db) as store:
        assert store.score_status(*CURRENT)["n_stale"] == 0
        assert store.version_info(1)["rules_version"] == rules_version()
        live = live_totals(store)
        assert store.dept_summary()["mean_score"] == pytest.approx(sum(live.values()) / len(live))
    # older rules gave 业务培训 seven points less, another grade, no finding and no rules version
    tamper(db, "UPDATE form_versions SET rule_total = rule_total - 7, grade = '良', rules_version = 'old-rules' "
               "WHERE project = '业务培训'")
    tamper(db, "DELETE FROM findings WHERE version_id = (SELECT id FROM form_versions WHERE project = '业务培训')")
    with Store(db) as store:
        status = store.score_status(*CURRENT)
        assert (status["n_stale"], status["n_current_stale"]) == (1, 1)
        assert store.dept_summary()["mean_score"] != pytest.approx(sum(live.values()) / len(live))
        report = store.rescore(user="张三")
        assert (report.n_versions, report.n_changed, report.n_totals_changed) == (5, 1, 1)
        assert report.previous == {"old-rules": 1, rules_version(): 4}
        assert report.rules_version == rules_version() and report.policy == DEFAULT_POLICY.name
        summary = store.dept_summary()
        assert summary["mean_score"] == pytest.approx(sum(live.values()) / len(live))
        assert live_totals(store) == live  # the forms themselves are untouched
        table = store.forms_table().set_index("project")
        for project, total in live.items():
            vid = int(table.loc[project, "version_id"])
            card = score_form(store.load_form(vid))
            assert table.loc[project, "rule_total"] == pytest.approx(total)
            assert table.loc[project, "grade"] == card.grade
            assert store.indicator_scores(vid)["score"].tolist() == [s.score for s in card.indicators]
            assert sorted(store.findings(vid)["code"]) == sorted(f.code for f in card.findings)
        assert store.score_status(*CURRENT)["n_stale"] == 0
        entry = store.audit_table().iloc[0]
        assert entry["action"] == "rescore" and entry["user"] == "张三"
        assert list(entry["version_ids"]) == [report.changed_ids[0]] == report.changed_ids
        assert "重新计算 5 个版本" in entry["detail"] and "1 个有变化" in entry["detail"]
        assert "业务培训" in entry["forms"]


def test_a_rescore_is_one_transaction(tmp_path: Path) -> None:
    db = seeded(tmp_path / "db.duckdb")
    tamper(db, "UPDATE form_versions SET rule_total = 1 WHERE id = 1")
    tamper(db, "UPDATE form_versions SET form_json = '{\"indicators\": 5' WHERE id = 4")  # cut short
    with Store(db) as store:
        n_audit = len(store.audit_table())
        project = store.version_info(4)["project"]  # named by the form's version number, not the database id
        with pytest.raises(StoreError, match=f"2021年 .*·{re.escape(project)}（版本 1）无法重新评分，数据库未作任何改动"):
            store.rescore()
        assert store.version_info(1)["rule_total"] == 1  # version 1 (scored before 4 failed) rolled back
        assert len(store.audit_table()) == n_audit
        store.import_forms("b.xlsx", b"b", [], user="测试")  # the store still writes


def test_versions_record_their_policy_and_a_rescore_can_change_it(tmp_path: Path) -> None:
    db = seeded(tmp_path / "db.duckdb")
    with Store(db) as store:
        store.rescore(EXEC20_POLICY)
        status = store.score_status(*CURRENT)
        assert status["n_current_stale"] == 5 and status["stale_policies"] == {EXEC20_POLICY.name: 5}
        assert store.version_info(1)["rules_version"] == rules_version(EXEC20_POLICY)
        assert store.rescore().n_versions == 5
        assert store.score_status(*CURRENT)["n_stale"] == 0


def test_deleted_and_older_versions_are_rescored_too(v1_db: Path) -> None:
    """A version-1 database (scored by e298a55's rules, no rules version): all six versions."""
    with Store(v1_db) as store:
        status = store.score_status(*CURRENT)
        assert (status["n_versions"], status["n_stale"], status["n_current_stale"]) == (6, 6, 4)
        assert status["stale_policies"] == {DEFAULT_POLICY.name: 4}
        report = store.rescore()
        assert report.n_versions == 6 and report.previous == {"": 6}
        assert store.score_status(*CURRENT)["n_stale"] == 0
        live = live_totals(store)
        assert store.dept_summary()["mean_score"] == pytest.approx(sum(live.values()) / len(live))
        assert store.version_info(4)["reading_state"] == "完整"  # the deleted 窗口业务管理


def test_the_rules_version_is_a_hash_of_the_declared_versions_and_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    version = rules_version()
    card = score_form(read_workbook(SHEETS_WORKBOOK).forms[0])
    assert re.fullmatch(r"[0-9a-f]{12}", version) and card.rules_version == version
    assert scorecard_to_dict(card)["rules_version"] == version  # in score --json too (a key added)
    assert rules_version(EXEC20_POLICY) != version
    assert rules_version(replace(DEFAULT_POLICY, label="另一个名字")) == version  # the label is no setting
    assert rules_version(replace(DEFAULT_POLICY, decimals=0)) != version
    assert rules_version(replace(DEFAULT_POLICY, disabled_checks=frozenset({"C12", "C14"}))) == rules_version(
        replace(DEFAULT_POLICY, disabled_checks=frozenset({"C14", "C12"})))
    for module, name in ((scoring, "RULES_VERSION"), (scoring, "CHECKS_VERSION")):
        monkeypatch.setattr(module, name, getattr(module, name) + "-next")
        scoring.rules_version.cache_clear()
        assert rules_version() != version, name
        monkeypatch.undo()
        scoring.rules_version.cache_clear()
    assert rules_version() == version and scoring.CHECKS_VERSION == checks.CHECKS_VERSION
    # the same in another process (no hash() of strings, sets sorted)
    other = subprocess.run([sys.executable, "-c", "from perfcore.scoring import rules_version; print(rules_version())"],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert other.stdout.strip() == version


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfcore", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_the_command_line_rescores_and_says_what_changed(tmp_path: Path) -> None:
    db = seeded(tmp_path / "db.duckdb")
    tamper(db, "UPDATE form_versions SET rule_total = 50, rules_version = NULL WHERE id = 2")
    done = _cli("rescore", "--db", str(db), "--user", "李四")
    assert done.returncode == 0, done.stderr
    assert "已重新评分 5 个版本" in done.stdout and "1 个有变化" in done.stdout and rules_version() in done.stdout
    with Store(db, read_only=True) as store:
        assert store.score_status(*CURRENT)["n_stale"] == 0
        assert store.audit_table().iloc[0][["action", "user"]].tolist() == ["rescore", "李四"]
    again = _cli("rescore", "--db", str(db))
    assert again.returncode == 0 and "0 个有变化" in again.stdout
    other = _cli("rescore", "--db", str(db), "--policy", EXEC20_POLICY.name)
    assert other.returncode == 0 and EXEC20_POLICY.label in other.stdout
    assert _cli("rescore", "--db", str(db), "--policy", "nope").returncode == 2
    missing = _cli("rescore", "--db", str(tmp_path / "missing.duckdb"))
    assert missing.returncode == 2 and "不存在" in missing.stderr and not (tmp_path / "missing.duckdb").exists()
