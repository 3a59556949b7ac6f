"""The tables of the current schema: one declaration that the DDL, the bulk inserts and the tests share.

A new database is created from ``TABLES`` directly; an older file reaches the same tables
through the steps of ``perfcore.store.migrations`` (a test checks that both give the same
columns). So a column added later goes at the end of its table here, as ALTER TABLE … ADD
COLUMN puts it there, and gets a migration step.

Tables (``form_versions``: one row per stored version of a form; the others hang off it)::

    meta          (key, value)                      -- schema_version
    migrations    (name, applied_at)                -- the steps applied (perfcore.store.migrations)
    imports       (id, file_name, sha256, imported_at, user_name, n_forms,
                   n_stored, n_replaced, n_skipped, status)
    form_versions (id, year, unit, project, department,  -- key = year + unit + project
                   version_no, is_current, deleted, deleted_at, deleted_by,
                   content_hash, import_id, file_name, sheet, first_row, imported_at, user_name,
                   policy, money_unit, initial, budget, executed,   -- 年度资金总额 row, yuan
                   rate, printed_rate, exec_weight, exec_declared, exec_score,
                   total_weight, declared_total, rule_total, difference, grade,
                   n_indicators, n_errors, n_warnings, n_infos,
                   form_json,                          -- serialize.form_to_dict, lossless
                   reading_state,                      -- 完整 / 需核实 / 无法计分 (step 2)
                   rules_version)                      -- scoring.rules_version of its scores (step 3)
    fund_lines    (version_id, idx, kind, label, initial, budget, executed)
    indicators    (version_id, idx, level1, level2, name, target, actual, weight, declared,
                   score, status, deduction, explanation, note, cell)
    findings      (version_id, idx, code, severity, message, cell, indicator)
    audit         (id, at_time, action, user_name, file_name, sha256, import_id, version_ids, forms, detail)
                   -- action: import / replace / delete / restore / rescore, and (step 4) sign_in /
                   -- sign_in_failed / lock / sign_out / account (perfcore.store.audit.ACTIONS)
    scenarios     (id, version_id, name, changes_json, simulated, created_at, user_name)
    accounts      (name, role, departments, units, password_hash,   -- step 4; argon2id hashes only
                   disabled, failed, locked_until, created_at, updated_at)
    sessions      (token_hash, account, created_at, expires_at)    -- step 4; SHA-256 of the cookie's token
    layouts       (id, department, labels, anchors_json, taught_json,   -- step 0006: layouts staff taught (对照)
                   file_name, sheet, user_name, created_at, active, ended_at, ended_by)

The types are DuckDB's; they are also PostgreSQL's except VARCHAR (TEXT there, same
meaning) and DOUBLE (DOUBLE PRECISION), which a second backend maps in its DDL.
"""
from __future__ import annotations

Columns = tuple[tuple[str, str, str], ...]  # (name, type, constraint)

TABLES: dict[str, Columns] = {
    "meta": (("key", "VARCHAR", "PRIMARY KEY"), ("value", "VARCHAR", "")),
    "migrations": (("name", "VARCHAR", "PRIMARY KEY"), ("applied_at", "TIMESTAMP", "NOT NULL")),
    "imports": (
        ("id", "BIGINT", "PRIMARY KEY"),
        ("file_name", "VARCHAR", "NOT NULL"),
        ("sha256", "VARCHAR", "NOT NULL"),
        ("imported_at", "TIMESTAMP", "NOT NULL"),
        ("user_name", "VARCHAR", "NOT NULL"),
        ("n_forms", "INTEGER", "NOT NULL"),
        ("n_stored", "INTEGER", "NOT NULL"),
        ("n_replaced", "INTEGER", "NOT NULL"),
        ("n_skipped", "INTEGER", "NOT NULL"),
        ("status", "VARCHAR", "NOT NULL"),
    ),
    "form_versions": (
        ("id", "BIGINT", "PRIMARY KEY"),
        ("year", "INTEGER", ""),
        ("unit", "VARCHAR", "NOT NULL"),
        ("project", "VARCHAR", "NOT NULL"),
        ("department", "VARCHAR", "NOT NULL"),
        ("version_no", "INTEGER", "NOT NULL"),
        ("is_current", "BOOLEAN", "NOT NULL"),
        ("deleted", "BOOLEAN", "NOT NULL"),
        ("deleted_at", "TIMESTAMP", ""),
        ("deleted_by", "VARCHAR", ""),
        ("content_hash", "VARCHAR", "NOT NULL"),
        ("import_id", "BIGINT", "NOT NULL"),
        ("file_name", "VARCHAR", "NOT NULL"),
        ("sheet", "VARCHAR", "NOT NULL"),
        ("first_row", "INTEGER", ""),
        ("imported_at", "TIMESTAMP", "NOT NULL"),
        ("user_name", "VARCHAR", "NOT NULL"),
        ("policy", "VARCHAR", ""),
        ("money_unit", "VARCHAR", ""),
        ("initial", "DOUBLE", ""),
        ("budget", "DOUBLE", ""),
        ("executed", "DOUBLE", ""),
        ("rate", "DOUBLE", ""),
        ("printed_rate", "DOUBLE", ""),
        ("exec_weight", "DOUBLE", ""),
        ("exec_declared", "DOUBLE", ""),
        ("exec_score", "DOUBLE", ""),
        ("total_weight", "DOUBLE", ""),
        ("declared_total", "DOUBLE", ""),
        ("rule_total", "DOUBLE", ""),
        ("difference", "DOUBLE", ""),
        ("grade", "VARCHAR", ""),
        ("n_indicators", "INTEGER", "NOT NULL"),
        ("n_errors", "INTEGER", "NOT NULL"),
        ("n_warnings", "INTEGER", "NOT NULL"),
        ("n_infos", "INTEGER", "NOT NULL"),
        ("form_json", "VARCHAR", "NOT NULL"),
        ("reading_state", "VARCHAR", ""),   # migration step 2
        ("rules_version", "VARCHAR", ""),   # migration step 3
    ),
    "fund_lines": (
        ("version_id", "BIGINT", "NOT NULL"),
        ("idx", "INTEGER", "NOT NULL"),
        ("kind", "VARCHAR", "NOT NULL"),
        ("label", "VARCHAR", "NOT NULL"),
        ("initial", "DOUBLE", ""),
        ("budget", "DOUBLE", ""),
        ("executed", "DOUBLE", ""),
    ),
    "indicators": (
        ("version_id", "BIGINT", "NOT NULL"),
        ("idx", "INTEGER", "NOT NULL"),
        ("level1", "VARCHAR", "NOT NULL"),
        ("level2", "VARCHAR", "NOT NULL"),
        ("name", "VARCHAR", "NOT NULL"),
        ("target", "VARCHAR", "NOT NULL"),
        ("actual", "VARCHAR", "NOT NULL"),
        ("weight", "DOUBLE", ""),
        ("declared", "DOUBLE", ""),
        ("score", "DOUBLE", ""),
        ("status", "VARCHAR", ""),
        ("deduction", "DOUBLE", ""),
        ("explanation", "VARCHAR", ""),
        ("note", "VARCHAR", "NOT NULL"),
        ("cell", "VARCHAR", "NOT NULL"),
    ),
    "findings": (
        ("version_id", "BIGINT", "NOT NULL"),
        ("idx", "INTEGER", "NOT NULL"),
        ("code", "VARCHAR", "NOT NULL"),
        ("severity", "VARCHAR", "NOT NULL"),
        ("message", "VARCHAR", "NOT NULL"),
        ("cell", "VARCHAR", "NOT NULL"),
        ("indicator", "INTEGER", ""),
    ),
    "audit": (
        ("id", "BIGINT", "PRIMARY KEY"),
        ("at_time", "TIMESTAMP", "NOT NULL"),
        ("action", "VARCHAR", "NOT NULL"),
        ("user_name", "VARCHAR", "NOT NULL"),
        ("file_name", "VARCHAR", "NOT NULL"),
        ("sha256", "VARCHAR", "NOT NULL"),
        ("import_id", "BIGINT", ""),
        ("version_ids", "BIGINT[]", "NOT NULL"),
        ("forms", "VARCHAR", "NOT NULL"),
        ("detail", "VARCHAR", "NOT NULL"),
    ),
    "scenarios": (
        ("id", "BIGINT", "PRIMARY KEY"),
        ("version_id", "BIGINT", "NOT NULL"),
        ("name", "VARCHAR", "NOT NULL"),
        ("changes_json", "VARCHAR", "NOT NULL"),
        ("simulated", "BOOLEAN", "NOT NULL"),
        ("created_at", "TIMESTAMP", "NOT NULL"),
        ("user_name", "VARCHAR", "NOT NULL"),
    ),
    "accounts": (  # migration step 4
        ("name", "VARCHAR", "PRIMARY KEY"),
        ("role", "VARCHAR", "NOT NULL"),
        ("departments", "VARCHAR[]", "NOT NULL"),
        ("units", "VARCHAR[]", "NOT NULL"),
        ("password_hash", "VARCHAR", "NOT NULL"),
        ("disabled", "BOOLEAN", "NOT NULL"),
        ("failed", "INTEGER", "NOT NULL"),
        ("locked_until", "TIMESTAMP", ""),
        ("created_at", "TIMESTAMP", "NOT NULL"),
        ("updated_at", "TIMESTAMP", "NOT NULL"),
    ),
    "sessions": (  # migration step 4
        ("token_hash", "VARCHAR", "PRIMARY KEY"),
        ("account", "VARCHAR", "NOT NULL"),
        ("created_at", "TIMESTAMP", "NOT NULL"),
        ("expires_at", "TIMESTAMP", "NOT NULL"),
    ),
    "layouts": (  # migration step 0006_layouts: perfcore.store.layouts
        ("id", "BIGINT", "PRIMARY KEY"),
        ("department", "VARCHAR", "NOT NULL"),      # '' = every department
        ("labels", "VARCHAR[]", "NOT NULL"),        # perfcore.layouts.signature, sorted
        ("anchors_json", "VARCHAR", "NOT NULL"),    # role → [A1 cell, label key]
        ("taught_json", "VARCHAR", "NOT NULL"),     # perfcore.reader.Taught as JSON
        ("file_name", "VARCHAR", "NOT NULL"),
        ("sheet", "VARCHAR", "NOT NULL"),
        ("user_name", "VARCHAR", "NOT NULL"),
        ("created_at", "TIMESTAMP", "NOT NULL"),
        ("active", "BOOLEAN", "NOT NULL"),
        ("ended_at", "TIMESTAMP", ""),
        ("ended_by", "VARCHAR", ""),
    ),
}


def column_names(table: str) -> tuple[str, ...]:
    return tuple(name for name, _, _ in TABLES[table])


def column_types(table: str) -> dict[str, str]:
    return {name: typ for name, typ, _ in TABLES[table]}


def schema_sql() -> list[str]:
    """CREATE statements for every table of the current schema (idempotent)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        + ", ".join(f"{name} {typ} {extra}".strip() for name, typ, extra in cols)
        + ")"
        for table, cols in TABLES.items()
    ]


def row(table: str, **values: object) -> tuple[object, ...]:
    """One row of ``table`` from its column names (all of them, no others), in TABLES order."""
    names = column_names(table)
    if values.keys() != set(names):
        missing, extra = set(names) - values.keys(), values.keys() - set(names)
        raise ValueError(f"{table} row: missing {sorted(missing)}, unknown {sorted(extra)}")
    return tuple(values[name] for name in names)
