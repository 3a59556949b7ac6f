"""The perfboard database: imported forms, their versions, rule scores, findings, audit trail.

The only SQL in perfboard lives in this package, one job per module:

| module | job |
|---|---|
| ``connection`` | the DuckDB backend: open the file (a held file → ``StoreLockedError``), a cursor per read, |
| | the one writer (a lock per file, a transaction per write), bulk insert / update |
| ``schema`` | ``TABLES``: every table's columns and types; the DDL of a new database |
| ``migrations`` | numbered, recorded steps from older schemas; backup copy, upgrade or refusal on open |
| ``imports`` | a batch of files' forms in one transaction: versions by form key, duplicates by hash |
| ``versions`` | one form's versions: status of a key, a version's row and form, soft delete / restore |
| ``queries`` | reads for the pages: forms, department aggregates, deductions, findings, history, audit |
| ``rescore`` | stored scores that follow the rules: which are stale, recompute all in one transaction |
| ``scenarios`` | what-if scenarios kept per version |
| ``layouts`` | layouts staff taught (对照) per department: save, undo, delete (audited), the reader's list |
| ``backup`` | Parquet backup and restore, the file copy before an upgrade |
| ``audit`` | the audit-trail entries the writes add in their own transaction |
| ``access`` | the signed-in account's role and unit scope, applied to every read and write |
| ``accounts`` | accounts, argon2id hashes, sign-in with lock after failures, sessions by token hash |
| ``api`` | ``Store``: the public face, one method per need, each one call into the modules |

Why DuckDB: one file, no server, and the department views are aggregates over hundreds
of thousands of indicator rows, which it answers in milliseconds. Rows are built from
named records (perfcore.records: NamedTuples whose fields are the column names), never
from positions.

A second backend (PostgreSQL, for deployments that outgrow one file) plugs in below
``Store``, so that pages, the CLI, ``perfcore.ingest`` and the reader stay as they are:
the modules reach the database only through ``connection.Database`` (``rows``, ``record``,
``frame``, ``write(fn)`` handing ``fn`` a ``Tx`` with ``rows`` / ``run`` / ``insert`` /
``update``) and its ``any_of`` fragment. A ``PostgresDatabase`` with those methods over
psycopg (a connection pool instead of cursors, ``?`` placeholders rewritten to ``%s``,
``insert`` / ``update`` by COPY into a temporary table, ``any_of`` = ``col = ANY(?)``,
the lock and transactions from the server) would be chosen by ``Store.__init__`` from
the address (``postgresql://…`` vs a file path). The rest it needs: the DDL types of
``schema.TABLES`` mapped (VARCHAR → TEXT, DOUBLE → DOUBLE PRECISION), migrations that
take a pg_dump instead of a file copy, ``backup`` by pg_dump instead of EXPORT DATABASE,
and ``json_array_length(changes_json::json)`` in scenarios. The queries are otherwise
written in SQL both engines accept (FILTER, IS NOT DISTINCT FROM, ``::`` casts, arrays).
"""
from __future__ import annotations

from perfcore.errors import PermissionDenied, StoreError, StoreLockedError
from perfcore.store.accounts import SignInFailed
from perfcore.store.api import Store
from perfcore.store.connection import DEFAULT_DB, LOCKED_MESSAGE, default_db_path
from perfcore.store.imports import ImportFile, ImportReport
from perfcore.store.migrations import MIGRATIONS, SCHEMA_VERSION
from perfcore.store.queries import (
    DEDUCTION_GROUPS,
    EXECUTION_LABEL,
    GRADES,
    PROJECT_ORDERS,
    SCORED,
    SUMMARY_GROUPS,
    Filters,
    ProjectPage,
)
from perfcore.store.rescore import RescoreReport
from perfcore.store.schema import TABLES, schema_sql

__all__ = [
    "DEDUCTION_GROUPS",
    "DEFAULT_DB",
    "EXECUTION_LABEL",
    "GRADES",
    "LOCKED_MESSAGE",
    "MIGRATIONS",
    "PROJECT_ORDERS",
    "PermissionDenied",
    "SCHEMA_VERSION",
    "SCORED",
    "SUMMARY_GROUPS",
    "SignInFailed",
    "TABLES",
    "Filters",
    "ImportFile",
    "ImportReport",
    "ProjectPage",
    "RescoreReport",
    "Store",
    "StoreError",
    "StoreLockedError",
    "default_db_path",
    "schema_sql",
]
