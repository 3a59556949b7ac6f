"""Reads for the pages: forms, department aggregates, deductions, findings, import history, audit trail.

Every filtered query builds its WHERE through ``_where``, which also keeps the versions
inside the signed-in account's scope (perfcore.store.access): a new query written that
way cannot show another unit's forms. Reads of one version by id check it first.

All aggregation happens in SQL over the current versions (``is_current``) that the
``Filters`` select; the department views are aggregates over hundreds of thousands of
indicator rows, which DuckDB answers in milliseconds. Means, gaps, grades and deductions
count forms read completely only (``SCORED``).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from perfcore.accounts import Permission
from perfcore.store import access
from perfcore.store.connection import Database, plain
from perfcore.vocab import EXECUTION_LABEL, GRADES

if TYPE_CHECKING:
    import pandas as pd

DEDUCTION_GROUPS: dict[str, tuple[str, ...]] = {
    "level1": ("level1",),
    "level2": ("level1", "level2"),
    "indicator": ("level1", "level2", "name"),
    "unit": ("department", "unit"),
    "project": ("version_id", "year", "department", "unit", "project"),
}
SUMMARY_GROUPS = ("year", "department", "unit")
# The execution block (vocab.EXECUTION_LABEL) counts as one more "indicator" in deduction
# views, so by project the deductions add up to 100 − rule total.
# Forms whose rule total and grade count in means and grade counts (NULL: stored before the
# reading report existed, counted as complete until rescored).
SCORED = "coalesce(v.reading_state, '完整') = '完整'"


@dataclass
class Filters:
    """Which current forms a view covers. None or an empty list = no restriction; a list = any of.

    None in a list stands for the field left blank: ``Filters(year=[None])`` is the forms
    without a year (未填年度), ``Filters(year=[2021, None])`` those of 2021 or without one.
    """

    year: int | Sequence[int | None] | None = None
    department: str | Sequence[str] | None = None
    unit: str | Sequence[str] | None = None
    grade: str | Sequence[str] | None = None
    project: str | Sequence[str] | None = None


def _many(value: Any) -> list[Any] | None:
    """A filter value as a list (None when it does not restrict); NaN in a list (from a DataFrame) is None."""
    value = plain(value)
    if value is None:
        return None
    if isinstance(value, (str, int, float)):
        return [value]
    values = [None if isinstance(v, float) and math.isnan(v) else v for v in plain(list(value))]
    return values or None


def _where(db: Database, filters: Filters | None, alias: str = "v") -> tuple[str, list[Any]]:
    """The current versions the filters select, inside the account's scope (access.scope_sql)."""
    clauses, params = [f"{alias}.is_current"], []
    scope, scope_params = access.scope_sql(db, alias)
    if scope:
        clauses.append(scope)
        params.extend(scope_params)
    for name in ("year", "department", "unit", "grade", "project"):
        values = _many(getattr(filters, name)) if filters else None
        if values is None:
            continue
        column, known = f"{alias}.{name}", [v for v in values if v is not None]
        if len(known) == len(values):
            clauses.append(db.any_of(column))
        else:  # None in the list: the field left blank too (NULL is no list's member)
            clauses.append(f"({column} IS NULL OR {db.any_of(column)})" if known else f"{column} IS NULL")
        if known:
            params.append(known)
    return " AND ".join(clauses), params


def _limit(limit: int | None) -> list[int]:
    """The parameter of a ``LIMIT ?`` clause, or none."""
    return [] if limit is None else [int(limit)]


# Aggregates shared by dept_summary and summary_by (one row per group).
_SUMMARY_SELECT = f"""
    count(*) AS n_forms,
    count(DISTINCT v.department) AS n_departments,
    count(DISTINCT v.unit) AS n_units,
    count(DISTINCT (v.unit, v.project)) AS n_projects,
    sum(v.initial) AS initial,
    sum(v.budget) AS budget,
    sum(v.executed) AS executed,
    sum(v.executed) FILTER (WHERE v.budget IS NOT NULL)
        / nullif(sum(v.budget) FILTER (WHERE v.executed IS NOT NULL), 0) AS rate,
    sum(v.executed) FILTER (WHERE v.initial IS NOT NULL)
        / nullif(sum(v.initial) FILTER (WHERE v.executed IS NOT NULL), 0) AS rate_vs_initial,
    avg(v.rule_total) FILTER (WHERE {SCORED}) AS mean_score,
    sum(v.rule_total * v.budget) FILTER (WHERE {SCORED})
        / nullif(sum(v.budget) FILTER (WHERE v.rule_total IS NOT NULL AND {SCORED}), 0) AS weighted_score,
    avg(v.declared_total) AS mean_declared,
    avg(v.difference) FILTER (WHERE {SCORED}) AS mean_difference,
    count(*) FILTER (WHERE v.difference > 0 AND {SCORED}) AS n_over_declared,
    count(*) FILTER (WHERE {SCORED}) AS n_scored,
    count(*) FILTER (WHERE v.reading_state = '需核实') AS n_to_verify,
    count(*) FILTER (WHERE v.reading_state = '无法计分') AS n_unscorable,
    coalesce(sum(v.n_errors), 0)::BIGINT AS n_errors,
    coalesce(sum(v.n_warnings), 0)::BIGINT AS n_warnings
"""

# Sums shared by both levels of the deductions query.
_SUMS = (
    "sum(weight) AS weight, sum(score) AS score, sum(deduction) AS deduction, "
    "sum(declared) AS declared, sum(declared_deduction) AS declared_deduction"
)


# The columns of a current form's row (forms_table, project_page).
_FORM_COLUMNS = """v.id AS version_id, v.year, v.department, v.unit, v.project,
               v.initial, v.budget, v.executed, v.rate, v.declared_total, v.rule_total,
               v.grade, v.n_errors, v.n_warnings, v.difference, v.n_indicators,
               v.version_no, v.imported_at, v.file_name, v.sheet, v.user_name AS "user", v.reading_state"""

# The project list's rankings: name → ORDER BY. Rule totals and gaps rank the forms read
# completely first (a 需核实 form's provisional total is no "lowest score"); ties by unit, project.
_NOT_SCORED_LAST = f"CASE WHEN {SCORED} THEN 0 ELSE 1 END"
PROJECT_ORDERS: dict[str, str] = {
    "rule_low": f"{_NOT_SCORED_LAST}, v.rule_total ASC NULLS LAST",
    "gap_wide": f"{_NOT_SCORED_LAST}, v.difference DESC NULLS LAST",
    "rate_low": "v.rate ASC NULLS LAST",
    "budget_large": "v.budget DESC NULLS LAST",
}


@dataclass(frozen=True)
class ProjectPage:
    """One page of the project list: its rows (forms_table columns), how many match, where it starts."""

    rows: pd.DataFrame
    total: int
    offset: int


# --- forms ----------------------------------------------------------------------------------


def count_forms(db: Database, filters: Filters | None = None) -> int:
    where, params = _where(db, filters)
    return db.rows(f"SELECT count(*) FROM form_versions v WHERE {where}", params)[0][0]


def forms_table(db: Database, filters: Filters | None = None, *, limit: int | None = None) -> pd.DataFrame:
    """Current forms, one row each, with amounts, totals, grade and finding counts.

    ``limit`` caps the rows (100,000 forms make a 200 ms frame nobody scrolls through).
    """
    where, params = _where(db, filters)
    return db.frame(
        f"""
        SELECT {_FORM_COLUMNS}
        FROM form_versions v WHERE {where}
        ORDER BY v.year DESC NULLS LAST, v.department, v.unit, v.project
        {"LIMIT ?" if limit is not None else ""}
        """,
        [*params, *_limit(limit)],
    )


def _search(where: str, params: list[Any], search: str | None) -> tuple[str, list[Any]]:
    """The filters' WHERE narrowed to projects or units whose name contains ``search``."""
    text = (search or "").strip()
    if not text:
        return where, params
    return (f"{where} AND (contains(lower(v.project), lower(?)) OR contains(lower(v.unit), lower(?)))",
            [*params, text, text])


def project_page(db: Database, filters: Filters | None = None, *, order: str = "rule_low", search: str | None = None,
                 limit: int = 50, offset: int = 0, scored_only: bool = False) -> ProjectPage:
    """A page of the current forms ranked by ``order`` (PROJECT_ORDERS), sorted, cut and counted in SQL.

    Why: a province's year is 20,000 forms; the browser gets the ``limit`` rows a person
    reads, the search finds the rest. ``scored_only``: forms read completely only (rankings
    by score of the one-glance lists).
    """
    if order not in PROJECT_ORDERS:
        raise ValueError(f"order must be one of {tuple(PROJECT_ORDERS)}")
    where, params = _search(*_where(db, filters), search)
    if scored_only:
        where = f"{where} AND {SCORED}"
    total = db.rows(f"SELECT count(*) FROM form_versions v WHERE {where}", params)[0][0]
    rows = db.frame(
        f"""
        SELECT {_FORM_COLUMNS}
        FROM form_versions v WHERE {where}
        ORDER BY {PROJECT_ORDERS[order]}, v.unit, v.project, v.year DESC NULLS LAST, v.id
        LIMIT ? OFFSET ?
        """,
        [*params, int(limit), max(int(offset), 0)],
    )
    return ProjectPage(rows, int(total), max(int(offset), 0))

KEY_COLUMNS = ("year", "department", "unit", "project", "grade")  # the columns distinct_values lists


def distinct_values(db: Database, column: str, filters: Filters | None = None) -> pd.DataFrame:
    """The distinct values of one column over the selected current forms, with how many forms have each.

    Columns ``column`` and ``n``, ordered by the value, blank (NULL) last. Why: the pages'
    selectors need the few hundred choices, not the 100,000 rows forms_table would ship.
    """
    if column not in KEY_COLUMNS:
        raise ValueError(f"column must be one of {KEY_COLUMNS}")
    where, params = _where(db, filters)
    return db.frame(
        f"SELECT v.{column}, count(*) AS n FROM form_versions v WHERE {where} "
        f"GROUP BY v.{column} ORDER BY v.{column} NULLS LAST",
        params,
    )


def form_keys(db: Database, filters: Filters | None = None, *, limit: int | None = None) -> pd.DataFrame:
    """(version_id, year, unit, project) of the selected current forms: newest year first, then unit, project.

    What the form picker needs to find the form a link names or the selectors chose, without forms_table's amounts.
    """
    where, params = _where(db, filters)
    return db.frame(
        f"""
        SELECT v.id AS version_id, v.year, v.unit, v.project FROM form_versions v WHERE {where}
        ORDER BY v.year DESC NULLS LAST, v.unit, v.project
        {"LIMIT ?" if limit is not None else ""}
        """,
        [*params, *_limit(limit)],
    )


def indicator_scores(db: Database, version_id: int) -> pd.DataFrame:
    """The stored indicator rows of one version, with the rule scores stored beside them."""
    access.check_version(db, version_id)
    return db.frame(
        """
        SELECT idx, level1, level2, name, target, actual, weight, declared, score, status,
               deduction, explanation, note, cell
        FROM indicators WHERE version_id = ? ORDER BY idx
        """,
        [version_id],
    )


def fund_lines(db: Database, version_id: int) -> pd.DataFrame:
    access.check_version(db, version_id)
    return db.frame(
        "SELECT idx, kind, label, initial, budget, executed FROM fund_lines WHERE version_id = ? ORDER BY idx",
        [version_id],
    )


def findings(db: Database, version_id: int | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """Findings of one version, or of the current forms the filters select."""
    if version_id is not None:
        access.check_version(db, version_id)
        where, params = "v.id = ?", [version_id]
    else:
        where, params = _where(db, filters)
    return db.frame(
        f"""
        SELECT f.version_id, v.year, v.department, v.unit, v.project, f.idx, f.code,
               f.severity, f.message, f.cell, f.indicator
        FROM findings f JOIN form_versions v ON v.id = f.version_id
        WHERE {where}
        ORDER BY CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                 v.year DESC NULLS LAST, v.unit, v.project, f.idx
        """,
        params,
    )


# --- department views -------------------------------------------------------------------------


def dept_summary(db: Database, filters: Filters | None = None) -> dict[str, Any]:
    """Totals of the selected current forms.

    Keys: n_forms, n_departments, n_units, n_projects, initial, budget, executed,
    rate (Σ executed / Σ budget), rate_vs_initial (Σ executed / Σ initial), mean_score,
    weighted_score (mean rule total weighted by full-year budget), mean_declared,
    mean_difference, n_over_declared, n_errors, n_warnings, grades {优, 良, 中, 差, ...}.
    Means, gaps and grades count forms read completely only (n_scored); forms to verify
    (n_to_verify, 需核实) and forms that cannot be scored (n_unscorable, 无法计分) are counted apart.
    """
    where, params = _where(db, filters)
    summary = db.record(f"SELECT {_SUMMARY_SELECT} FROM form_versions v WHERE {where}", params) or {}
    grades = db.rows(
        f"SELECT v.grade, count(*) FROM form_versions v WHERE {where} AND v.grade IS NOT NULL GROUP BY v.grade",
        params,
    )
    summary["grades"] = {g: 0 for g in GRADES} | dict(grades)
    return summary


def summary_by(db: Database, filters: Filters | None = None, by: str = "year") -> pd.DataFrame:
    """The dept_summary figures per year, department or unit (multi-year trends, rankings)."""
    if by not in SUMMARY_GROUPS:
        raise ValueError(f"by must be one of {SUMMARY_GROUPS}")
    where, params = _where(db, filters)
    return db.frame(
        f"SELECT v.{by}, {_SUMMARY_SELECT} FROM form_versions v WHERE {where} GROUP BY v.{by} ORDER BY v.{by}",
        params,
    )


def unit_comparison(db: Database, filters: Filters | None = None) -> pd.DataFrame:
    """The 实施单位 of the selection side by side, one row per (department, unit).

    Columns: department, unit, n_forms, n_projects, budget, executed, rate (Σ executed /
    Σ budget), mean_score and deduction (points lost, execution included, as in
    ``deductions``) over the forms read completely (n_scored), n_to_verify, n_unscorable,
    n_errors. Lowest mean score first.
    """
    where, params = _where(db, filters)
    return db.frame(
        f"""
        WITH cur AS (SELECT * FROM form_versions v WHERE {where}),
        lost AS (
            SELECT i.version_id, sum(i.deduction) AS deduction
            FROM indicators i JOIN cur v ON v.id = i.version_id WHERE {SCORED} GROUP BY i.version_id
        )
        SELECT v.department, v.unit, count(*) AS n_forms, count(DISTINCT v.project) AS n_projects,
               sum(v.budget) AS budget, sum(v.executed) AS executed,
               sum(v.executed) FILTER (WHERE v.budget IS NOT NULL)
                   / nullif(sum(v.budget) FILTER (WHERE v.executed IS NOT NULL), 0) AS rate,
               avg(v.rule_total) FILTER (WHERE {SCORED}) AS mean_score,
               coalesce(sum(coalesce(l.deduction, 0) + coalesce(v.exec_weight - coalesce(v.exec_score, 0), 0))
                   FILTER (WHERE {SCORED}), 0) AS deduction,
               count(*) FILTER (WHERE {SCORED}) AS n_scored,
               count(*) FILTER (WHERE v.reading_state = '需核实') AS n_to_verify,
               count(*) FILTER (WHERE v.reading_state = '无法计分') AS n_unscorable,
               coalesce(sum(v.n_errors), 0)::BIGINT AS n_errors
        FROM cur v LEFT JOIN lost l ON l.version_id = v.id
        GROUP BY v.department, v.unit
        ORDER BY mean_score ASC NULLS LAST, v.department, v.unit
        """,
        params,
    )


def deductions(db: Database, filters: Filters | None = None, by: str = "level1", *, limit: int | None = None) -> pd.DataFrame:
    """Points lost (weight − rule score) summed by level1 / level2 / indicator / unit / project.

    Forms not read completely (需核实 / 无法计分) are left out: their missing scores are no
    deductions. The execution block is included as level1 = level2 = name = 预算执行率, so by project the
    deductions add up to 100 − rule total. Columns: the group columns, n_items (indicator
    rows), weight, score, deduction, declared, declared_deduction (weight − declared).
    By unit or project the indicator rows are first summed per form on the integer
    version_id, which keeps the query fast at millions of indicator rows. ``limit``: the
    largest deductions only (by project, 100,000 forms are 100,000 rows).
    """
    if by not in DEDUCTION_GROUPS:
        raise ValueError(f"by must be one of {tuple(DEDUCTION_GROUPS)}")
    where, params = _where(db, filters)
    group = ", ".join(DEDUCTION_GROUPS[by])
    # The two item lists have the same columns in the same order (a plain UNION ALL).
    indicators = """
            SELECT i.version_id, i.level1, i.level2, i.name, 1 AS n, i.weight, i.score, i.deduction,
                   i.declared, i.weight - i.declared AS declared_deduction
            FROM indicators i JOIN cur USING (version_id)"""
    execution = """
            SELECT version_id, ? AS level1, ? AS level2, ? AS name, 1 AS n,
                   exec_weight AS weight, exec_score AS score,
                   exec_weight - coalesce(exec_score, 0) AS deduction, exec_declared AS declared,
                   exec_weight - exec_declared AS declared_deduction
            FROM cur WHERE exec_weight IS NOT NULL"""
    if by in ("unit", "project"):
        # Sum per form on the integer version_id first, then attach names: grouping
        # 100,000 forms by five text columns cost three times as much.
        items = f"""
            SELECT * FROM (
                SELECT version_id, sum(n)::BIGINT AS n_items, {_SUMS}
                FROM ({indicators} UNION ALL {execution}) GROUP BY version_id
            ) f JOIN cur USING (version_id)"""
        if by == "unit":
            items = f"SELECT {group}, sum(n_items)::BIGINT AS n_items, {_SUMS} FROM ({items}) GROUP BY {group}"
        select = f"SELECT {group}, n_items, weight, score, deduction, declared, declared_deduction FROM ({items})"
    else:
        select = f"""
            SELECT {group}, sum(n)::BIGINT AS n_items, {_SUMS}
            FROM ({indicators} UNION ALL {execution}) GROUP BY {group}"""
    return db.frame(
        f"""
        WITH cur AS (
            SELECT id AS version_id, year, department, unit, project, exec_weight, exec_score, exec_declared
            FROM form_versions v WHERE {where} AND {SCORED}
        )
        {select}
        ORDER BY deduction DESC NULLS LAST, {group}
        {"LIMIT ?" if limit is not None else ""}
        """,
        [*params, EXECUTION_LABEL, EXECUTION_LABEL, EXECUTION_LABEL, *_limit(limit)],
    )


def declared_vs_rule(db: Database, filters: Filters | None = None, *, limit: int | None = None) -> pd.DataFrame:
    """Declared and rule totals side by side per current form read completely, largest gap first."""
    where, params = _where(db, filters)
    return db.frame(
        f"""
        SELECT v.id AS version_id, v.year, v.department, v.unit, v.project,
               v.declared_total, v.rule_total, v.difference, v.grade
        FROM form_versions v WHERE {where} AND {SCORED}
        ORDER BY v.difference DESC NULLS LAST, v.unit, v.project
        {"LIMIT ?" if limit is not None else ""}
        """,
        [*params, *_limit(limit)],
    )


def findings_by_code(db: Database, filters: Filters | None = None) -> pd.DataFrame:
    """Findings counted per code: code, severity, n, n_forms, example message."""
    where, params = _where(db, filters)
    return db.frame(
        f"""
        SELECT f.code, f.severity, count(*) AS n, count(DISTINCT f.version_id) AS n_forms,
               min(f.message) AS example
        FROM findings f JOIN form_versions v ON v.id = f.version_id
        WHERE {where}
        GROUP BY f.code, f.severity
        ORDER BY n DESC, f.code
        """,
        params,
    )


# --- import history and audit trail (数据管理) ------------------------------------------------


def imports_table(db: Database) -> pd.DataFrame:
    """Imports, newest first; an account with a scope sees those that stored a form of its
    units, or that it made itself."""
    scope, params = access.scope_sql(db)
    where = ""
    if scope:
        where = (f"WHERE EXISTS (SELECT 1 FROM form_versions v WHERE v.import_id = i.id AND {scope}) "
                 "OR i.user_name = ?")
        params = [*params, access.who(db, "")]
    return db.frame(
        f"""
        SELECT id AS import_id, file_name, sha256, imported_at, user_name AS "user",
               n_forms, n_stored, n_replaced, n_skipped, status
        FROM imports i {where} ORDER BY id DESC
        """,
        params,
    )


def audit_table(
    db: Database, *, user: str | None = None, unit: str | None = None, action: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """The audit trail, newest first (administrators only): optionally one person's entries,
    those naming a version of one 实施单位, or some actions only."""
    access.require(db, Permission.MANAGE)
    clauses: list[str] = ["true"]
    params: list[Any] = []
    if user is not None:
        clauses.append("a.user_name = ?")
        params.append(user)
    if unit is not None:
        clauses.append("EXISTS (SELECT 1 FROM form_versions v WHERE list_contains(a.version_ids, v.id) AND v.unit = ?)")
        params.append(unit)
    actions = _many(action)
    if actions is not None:
        clauses.append(db.any_of("a.action"))
        params.append(actions)
    return db.frame(
        f"""
        SELECT id, at_time AS "at", action, user_name AS "user", file_name, sha256, import_id,
               version_ids, forms, detail
        FROM audit a WHERE {" AND ".join(clauses)} ORDER BY id DESC
        """,
        params,
    )
