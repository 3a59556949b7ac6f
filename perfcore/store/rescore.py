"""Rescoring: the stored scores of every version recomputed from its stored form, by today's rules.

The department page reads rule totals, grades, reading states and findings stored at import
time; the scorecard scores the stored form live. Each version records the policy and the
rules version (perfcore.scoring.rules_version) its stored scores came from, so
``score_status`` can tell how many are stale, and ``rescore`` recomputes all of them
(form JSON → serialize.form_from_dict → scoring.score_form → records.form_record) in one
transaction with one audit entry; afterwards both pages give the same numbers. The form
itself (form_json, content_hash, fund lines) is never touched: only what the rules derive.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from perfcore.accounts import Permission
from perfcore.errors import StoreError
from perfcore.policy import DEFAULT_POLICY, Policy
from perfcore.records import FindingRow, IndicatorRow, VersionRow, form_record
from perfcore.scoring import rules_version, score_form
from perfcore.serialize import form_from_dict
from perfcore.store import access, audit
from perfcore.store.connection import Database, Tx
from perfcore.vocab import COMPLETE

# The form_versions columns a rescore rewrites: all a record derives, except the form's
# identity (key, department, place) and the form itself (form_json, content_hash).
_KEPT = {"year", "unit", "project", "department", "content_hash", "sheet", "first_row", "form_json"}
RESCORED = tuple(name for name in VersionRow._fields if name not in _KEPT)
# What counts as a change of a version's scores (the policy and rules version aside).
_COMPARED = ("rule_total", "grade", "reading_state", "exec_weight", "exec_score", "rate", "difference",
             "n_errors", "n_warnings", "n_infos")
_TOTALS = ("rule_total", "grade", "reading_state")
_SCORE_COLUMNS = ("idx", "score", "status", "deduction", "explanation")
CHUNK = 500  # versions read, scored and rewritten at a time (all inside the one transaction)

STALE = "(v.policy IS DISTINCT FROM ? OR v.rules_version IS DISTINCT FROM ?)"


@dataclass
class RescoreReport:
    """What a rescore did."""

    n_versions: int
    n_changed: int            # versions whose scores, grade, reading state or findings changed
    n_totals_changed: int     # … of which the rule total, grade or reading state changed
    policy: str
    rules_version: str
    changed_ids: list[int] = field(default_factory=list)
    previous: dict[str, int] = field(default_factory=dict)  # rules versions before ("" = not recorded)
    audit_id: int | None = None


def score_status(db: Database, policy: str, version: str) -> dict[str, Any]:
    """How many stored versions were scored by other rules or another policy than ``policy`` /
    ``version``: n_versions, n_stale, n_current, n_current_stale, and stale_policies
    {policy name ("" = none recorded): current versions scored by it}. Counts the versions
    inside the account's scope only."""
    scope, params = access.scope_sql(db)
    counts = db.record(
        f"""
        SELECT count(*) AS n_versions, count(*) FILTER (WHERE {STALE}) AS n_stale,
               count(*) FILTER (WHERE v.is_current) AS n_current,
               count(*) FILTER (WHERE v.is_current AND {STALE}) AS n_current_stale
        FROM form_versions v WHERE {scope or "true"}
        """,
        [policy, version, policy, version, *params],
    ) or {}
    rows = db.rows(
        f"SELECT v.policy, count(*) FROM form_versions v WHERE v.is_current AND {STALE} {'AND ' + scope if scope else ''} "
        "GROUP BY v.policy ORDER BY 1",
        [policy, version, *params],
    )
    return {**counts, "stale_policies": {name or "": n for name, n in rows}}


def rescore(db: Database, policy: Policy = DEFAULT_POLICY, user: str = "") -> RescoreReport:
    """Recompute the rule scores, findings, grade and reading state of every stored version
    (administrators only: it changes every unit's scores)."""
    access.require(db, Permission.MANAGE)
    user = access.who(db, user)
    return db.write(lambda tx: _Rescore(tx, policy, user).run())


class _Rescore:
    def __init__(self, tx: Tx, policy: Policy, user: str) -> None:
        self.tx, self.policy, self.user = tx, policy, user
        self.report = RescoreReport(0, 0, 0, policy.name, rules_version(policy))
        self.changed: list[dict[str, Any]] = []

    def run(self) -> RescoreReport:
        tx, report = self.tx, self.report
        report.previous = {name or "": n for name, n in tx.rows(
            "SELECT rules_version, count(*) FROM form_versions GROUP BY rules_version ORDER BY 1 NULLS FIRST")}
        ids = [r[0] for r in tx.rows("SELECT id FROM form_versions ORDER BY id")]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            self._chunk(chunk[0], chunk[-1])
        report.n_versions = len(ids)
        report.changed_ids = [it["version_id"] for it in self.changed]
        report.n_changed = len(self.changed)
        before = "、".join(f"{'未记录' if not name else '规则版本 ' + name} {n} 个" for name, n in report.previous.items())
        report.audit_id = audit.append(
            tx, "rescore", self.user, version_ids=report.changed_ids, forms=audit.describe(self.changed, limit=20),
            detail=(
                f"按评分规则“{self.policy.label}”（{self.policy.name}，规则版本 {report.rules_version}）"
                f"重新计算 {report.n_versions} 个版本的规则得分、审核意见、等级和读取状态："
                f"{report.n_changed} 个有变化（其中总分、等级或读取状态变化 {report.n_totals_changed} 个）。"
                f"此前：{before or '无'}。"
            ),
        )
        return report

    def _chunk(self, lo: int, hi: int) -> None:
        tx = self.tx
        bounds = [lo, hi]
        olds = tx.rows(
            f"SELECT id, year, unit, project, version_no, form_json, {', '.join(_COMPARED)} FROM form_versions "
            "WHERE id BETWEEN ? AND ? ORDER BY id",
            bounds,
        )
        old_scores: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for vid, *values in tx.rows(
            f"SELECT version_id, {', '.join(_SCORE_COLUMNS)} FROM indicators WHERE version_id BETWEEN ? AND ? "
            "ORDER BY version_id, idx",
            bounds,
        ):
            old_scores[vid].append(tuple(values))
        old_findings: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for vid, *values in tx.rows(
            f"SELECT version_id, {', '.join(FindingRow._fields)} FROM findings WHERE version_id BETWEEN ? AND ? "
            "ORDER BY version_id, idx",
            bounds,
        ):
            old_findings[vid].append(tuple(values))
        updates: list[tuple[Any, ...]] = []
        indicators: list[tuple[Any, ...]] = []
        findings: list[tuple[Any, ...]] = []
        for vid, year, unit, project, version_no, text, *old in olds:
            item = audit.item((year, unit, project), vid, version_no=version_no)
            try:
                form = form_from_dict(json.loads(text))
                record = form_record(form, score_form(form, self.policy))
            except Exception as exc:
                raise StoreError(
                    f"{audit.name(item)}无法重新评分，数据库未作任何改动："
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            new = record.version
            updates.append((vid, *(getattr(new, name) for name in RESCORED)))
            indicators.extend((vid, *r) for r in record.indicators)
            findings.extend((vid, *r) for r in record.findings)
            before = dict(zip(_COMPARED, old, strict=True))
            if before["reading_state"] is None:  # stored before reading states: shown as 完整 (queries.SCORED)
                before["reading_state"] = COMPLETE
            scores = [tuple(getattr(r, name) for name in _SCORE_COLUMNS) for r in record.indicators]
            if (any(before[name] != getattr(new, name) for name in _COMPARED)
                    or scores != old_scores.get(vid, []) or [tuple(r) for r in record.findings] != old_findings.get(vid, [])):
                self.changed.append(item)
                if any(before[name] != getattr(new, name) for name in _TOTALS):
                    self.report.n_totals_changed += 1
        tx.run("DELETE FROM indicators WHERE version_id BETWEEN ? AND ?", bounds)
        tx.run("DELETE FROM findings WHERE version_id BETWEEN ? AND ?", bounds)
        tx.insert("indicators", ("version_id", *IndicatorRow._fields), indicators)
        tx.insert("findings", ("version_id", *FindingRow._fields), findings)
        tx.update("form_versions", "id", RESCORED, updates)
