"""``Store``: the perfboard database as pages, the CLI and the import service see it.

Each method is one call into the module that does that job (imports, versions, queries,
rescore, scenarios, backup, accounts) with this store's ``Database``; the SQL lives in
those modules. ``Store(path)`` acts as the system (command line, tests); ``as_user(account)``
gives the same database as one signed-in account sees it: every read keeps to its scope,
every write checks its role (perfcore.store.access), and the audit names it.
"""
from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfcore.accounts import Account, Permission, Scope, SignInRules
from perfcore.layouts import Layout
from perfcore.model import Form, Scorecard
from perfcore.policy import DEFAULT_POLICY, Policy
from perfcore.reader import Taught
from perfcore.store import access, accounts, audit, backup, imports, layouts, migrations, queries, rescore, scenarios, versions
from perfcore.store.connection import Database
from perfcore.store.imports import ImportFile, ImportReport
from perfcore.store.queries import Filters, ProjectPage
from perfcore.store.rescore import RescoreReport

if TYPE_CHECKING:
    import pandas as pd


class Store:
    """The perfboard database. Thread-safe: a cursor per call, writes serialised.

    Opening checks the schema version: a new file gets the current tables, an older one is
    upgraded after a copy beside it, a newer one is refused (perfcore.store.migrations).
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self._db = Database(path, read_only=read_only, prepare=migrations.prepare)
        self.path = self._db.path
        self.read_only = read_only
        self._view = False

    def close(self) -> None:
        """Close the file (a view from ``as_user`` leaves the shared connection open)."""
        if not self._view:
            self._db.close()

    def as_user(self, account: Account | None) -> Store:
        """This store as ``account`` sees it: the same connection and writer, its role and scope
        applied to every read and write. None: the system, unrestricted."""
        view = copy.copy(self)
        view._db = self._db.as_account(account)
        view._view = True
        return view

    @property
    def account(self) -> Account | None:
        """The account this store acts for (None: the system)."""
        return self._db.account

    def can(self, permission: Permission) -> bool:
        """Whether this store's account may do what ``permission`` covers (the system may do everything)."""
        return self.account is None or self.account.can(permission)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema(self) -> dict[str, Any]:
        """{"version": meta.schema_version, "migrations": [(name, applied_at), ...]}."""
        return {"version": migrations.file_version(self._db), "migrations": migrations.applied(self._db)}

    # --- imports ------------------------------------------------------------------------------

    def import_forms(
        self,
        file_name: str,
        content: bytes,
        forms: Sequence[Form],
        scorecards: Sequence[Scorecard | None] | None = None,
        *,
        user: str = "",
    ) -> ImportReport:
        """Store one file's forms in one transaction (all or none). Raises StoreError on failure."""
        return imports.import_forms(self._db, file_name, content, forms, scorecards, user=user)

    def import_many(self, files: Sequence[ImportFile], *, user: str = "") -> list[ImportReport]:
        """Store several files in one transaction; if that fails, file by file (each whole or not at all)."""
        return imports.import_many(self._db, files, user=user)

    def import_refusals(self, forms: Sequence[access.Incoming]) -> list[str]:
        """Why this account may not import each form (year, 主管部门, 实施单位, 项目名称): "" = it may.
        The rules the import itself applies (perfcore.store.access.refusals), for a preview."""
        return access.refusals(self._db, forms)

    def record_refusal(self, file_name: str, sha256: str, forms: Sequence[access.Incoming], reasons: Sequence[str],
                       *, user: str = "") -> None:
        """Record in the audit trail the forms of one file a preview refused (``import_refusals``)."""
        imports.record_refusal(self._db, file_name, sha256, forms, reasons, user=user)

    # --- versions -----------------------------------------------------------------------------

    def form_status(self, form: Form) -> str:
        """"new" (no current version), "same" (identical content) or "changed"."""
        return versions.form_status(self._db, form)

    def load_form(self, version_id: int) -> Form:
        """The Form exactly as imported (any version, deleted ones too)."""
        return versions.load_form(self._db, version_id)

    def version_info(self, version_id: int) -> dict[str, Any]:
        """One version's row (key, version_no, is_current, deleted, totals, grade, file, policy, rules_version)."""
        return versions.version_info(self._db, version_id)

    def history(self, year: int | None, unit: str, project: str) -> pd.DataFrame:
        """Every version of one form, newest first, deleted ones included."""
        return versions.history(self._db, year, unit, project)

    def delete_version(self, version_id: int, user: str = "") -> bool:
        """Soft-delete one version (False if it already was). The previous one becomes current."""
        return versions.set_deleted(self._db, version_id, True, user)

    def restore_version(self, version_id: int, user: str = "") -> bool:
        """Undo a delete (False if it was not deleted)."""
        return versions.set_deleted(self._db, version_id, False, user)

    # --- reads for the pages ------------------------------------------------------------------

    def count_forms(self, filters: Filters | None = None) -> int:
        return queries.count_forms(self._db, filters)

    def forms_table(self, filters: Filters | None = None, *, limit: int | None = None) -> pd.DataFrame:
        """Current forms, one row each, with amounts, totals, grade, reading state and finding counts."""
        return queries.forms_table(self._db, filters, limit=limit)

    def project_page(self, filters: Filters | None = None, *, order: str = "rule_low", search: str | None = None,
                     limit: int = 50, offset: int = 0, scored_only: bool = False) -> ProjectPage:
        """One page of the current forms ranked by ``order`` (queries.PROJECT_ORDERS), name search, total count."""
        return queries.project_page(self._db, filters, order=order, search=search, limit=limit, offset=offset,
                                    scored_only=scored_only)

    def unit_comparison(self, filters: Filters | None = None) -> pd.DataFrame:
        """The 实施单位 of the selection side by side: forms, execution rate, mean score, deductions, 需核实."""
        return queries.unit_comparison(self._db, filters)

    def distinct_values(self, filters: Filters | None = None, *, column: str) -> pd.DataFrame:
        """The distinct values of year / department / unit / project / grade, with counts (the selectors' choices)."""
        return queries.distinct_values(self._db, column, filters)

    def form_keys(self, filters: Filters | None = None, *, limit: int | None = None) -> pd.DataFrame:
        """(version_id, year, unit, project) of current forms, newest year first (the form picker's lookups)."""
        return queries.form_keys(self._db, filters, limit=limit)

    def indicator_scores(self, version_id: int) -> pd.DataFrame:
        """The stored indicator rows and rule scores of one version."""
        return queries.indicator_scores(self._db, version_id)

    def fund_lines(self, version_id: int) -> pd.DataFrame:
        return queries.fund_lines(self._db, version_id)

    def findings(self, version_id: int | None = None, filters: Filters | None = None) -> pd.DataFrame:
        """Stored findings of one version, or of the current forms the filters select."""
        return queries.findings(self._db, version_id, filters)

    def dept_summary(self, filters: Filters | None = None) -> dict[str, Any]:
        """Totals of the selected current forms (keys: see perfcore.store.queries.dept_summary)."""
        return queries.dept_summary(self._db, filters)

    def summary_by(self, filters: Filters | None = None, by: str = "year") -> pd.DataFrame:
        """The dept_summary figures per year, department or unit."""
        return queries.summary_by(self._db, filters, by)

    def deductions(self, filters: Filters | None = None, by: str = "level1", *, limit: int | None = None) -> pd.DataFrame:
        """Points lost summed by level1 / level2 / indicator / unit / project (execution included)."""
        return queries.deductions(self._db, filters, by, limit=limit)

    def declared_vs_rule(self, filters: Filters | None = None, *, limit: int | None = None) -> pd.DataFrame:
        """Declared and rule totals per current form read completely, largest gap first."""
        return queries.declared_vs_rule(self._db, filters, limit=limit)

    def findings_by_code(self, filters: Filters | None = None) -> pd.DataFrame:
        """Findings counted per code: code, severity, n, n_forms, example message."""
        return queries.findings_by_code(self._db, filters)

    def imports_table(self) -> pd.DataFrame:
        return queries.imports_table(self._db)

    def audit_table(
        self, *, user: str | None = None, unit: str | None = None, action: str | Sequence[str] | None = None
    ) -> pd.DataFrame:
        """The audit trail, newest first, optionally of one person, one 实施单位 or some actions (administrators)."""
        return queries.audit_table(self._db, user=user, unit=unit, action=action)

    # --- scores that follow the rules ---------------------------------------------------------

    def score_status(self, policy: str, rules_version: str) -> dict[str, Any]:
        """How many stored versions were scored by other rules or another policy (see rescore.score_status)."""
        return rescore.score_status(self._db, policy, rules_version)

    def rescore(self, policy: Policy = DEFAULT_POLICY, *, user: str = "") -> RescoreReport:
        """Recompute rule scores, findings, grade and reading state of every version, in one transaction."""
        return rescore.rescore(self._db, policy, user)

    # --- backup -------------------------------------------------------------------------------

    def backup(self, folder: str | os.PathLike[str]) -> Path:
        """Write every table as Parquet (plus schema.sql / load.sql) into a new or empty folder (administrators)."""
        access.require(self._db, Permission.MANAGE)
        return backup.export(self._db, folder)

    @classmethod
    def restore(cls, folder: str | os.PathLike[str], path: str | os.PathLike[str]) -> Store:
        """A new database file at ``path`` from a ``backup`` folder; never overwrites a file."""
        return cls(backup.import_into(folder, path))

    # --- what-if scenarios --------------------------------------------------------------------

    def save_scenario(
        self, version_id: int, name: str, changes: list[dict[str, Any]], simulated: bool, *, user: str = ""
    ) -> int:
        """Keep a what-if (a list of change dicts) for a version; returns the scenario id."""
        return scenarios.save(self._db, version_id, name, changes, simulated, user)

    def scenarios(self, version_id: int) -> pd.DataFrame:
        return scenarios.listing(self._db, version_id)

    def load_scenario(self, scenario_id: int) -> dict[str, Any]:
        """{scenario_id, version_id, name, changes, simulated, created_at, user}."""
        return scenarios.load(self._db, scenario_id)

    def delete_scenario(self, scenario_id: int) -> None:
        scenarios.delete(self._db, scenario_id)

    # --- accounts and sign-in -----------------------------------------------------------------

    def count_accounts(self) -> int:
        """How many accounts exist: 0 = the local single-user mode (no sign-in)."""
        return accounts.count(self._db)

    def count_admins(self) -> int:
        """How many enabled administrators exist."""
        return accounts.count_admins(self._db)

    def account_named(self, name: str) -> Account | None:
        """An account by name (disabled ones too), for a single sign-on header; None when unknown."""
        return accounts.get(self._db, name)

    def accounts(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Every account without its hash (see perfcore.store.accounts.listing; administrators)."""
        return accounts.listing(self._db, now)

    def scope_choices(self) -> tuple[list[str], list[str]]:
        """(主管部门, 实施单位) an account's scope may name: those of the stored forms."""
        return accounts.scope_choices(self._db)

    def first_admin(self, name: str, password: str) -> Account:
        """The first administrator, only while no account exists (one transaction; StoreError otherwise)."""
        return accounts.first_admin(self._db, name, password)

    def add_account(self, name: str, role: str, scope: Scope | None = None, *, password: str, by: str = "") -> Account:
        """A new account with an argon2id hash of ``password``; the audit names ``by`` (or the signed-in admin)."""
        return accounts.add(self._db, name, role, scope or Scope(), password, by)

    def set_password(self, name: str, password: str, *, by: str = "") -> None:
        accounts.set_password(self._db, name, password, by)

    def disable_account(self, name: str, *, by: str = "") -> None:
        accounts.disable(self._db, name, by)

    def enable_account(self, name: str, *, by: str = "") -> None:
        accounts.enable(self._db, name, by)

    def unlock_account(self, name: str, *, by: str = "") -> None:
        accounts.unlock(self._db, name, by)

    def set_role(self, name: str, role: str, *, by: str = "") -> None:
        accounts.set_role(self._db, name, role, by)

    def set_scope(self, name: str, scope: Scope, *, by: str = "") -> None:
        accounts.set_scope(self._db, name, scope, by)

    def sign_in(self, name: str, password: str, rules: SignInRules | None = None,
                clock: Callable[[], datetime] | None = None) -> tuple[Account, str]:
        """(account, session token) or SignInFailed (Chinese); failures count towards the lock, all audited.
        ``clock`` replaces "now" (tests of the lock's length)."""
        return accounts.sign_in(self._db, name, password, rules or SignInRules.from_env(), clock or audit.now)

    def session_account(self, token: str) -> Account | None:
        """The account a session token signs in while it lasts (None: expired, ended, unknown or disabled)."""
        return accounts.session_account(self._db, token)

    def sign_out(self, token: str) -> None:
        accounts.sign_out(self._db, token)

    # --- layouts staff taught (对照) -----------------------------------------------------------

    def save_layout(self, *, department: str, unit: str = "", labels: frozenset[str],
                    anchors: dict[str, tuple[str, str]], taught: Taught, file_name: str, sheet: str,
                    user: str = "") -> int:
        """Keep a mapping for a department within the scope (see perfcore.store.layouts.save); its id."""
        return layouts.save(self._db, department=department, unit=unit, labels=labels, anchors=anchors,
                            taught=taught, file_name=file_name, sheet=sheet, user=user)

    def reading_layouts(self) -> list[Layout]:
        """The active mappings this store's uploads are read with (plain data for the import service)."""
        return layouts.reading(self._db)

    def layout(self, layout_id: int) -> dict[str, Any]:
        """One mapping: id, department, labels, anchors, taught, file_name, sheet, user, created_at, active."""
        return layouts.get(self._db, layout_id)

    def layouts(self) -> list[dict[str, Any]]:
        """Every mapping, newest first (administrators)."""
        return layouts.listing(self._db)

    def undo_layout(self, layout_id: int, *, user: str = "") -> bool:
        """Stop reading later uploads with a mapping (False if it already was); audited."""
        return layouts.deactivate(self._db, layout_id, user)

    def delete_layout(self, layout_id: int, *, user: str = "") -> None:
        """Remove a mapping (administrators); audited."""
        layouts.delete(self._db, layout_id, user)
