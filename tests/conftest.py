"""Shared pytest fixtures."""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd

    from perfcore.store import Store

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # app.py, pages/ and ui/ live at the repo root, outside the installed package
    sys.path.insert(0, str(ROOT))


# --- databases as older perfboard versions wrote them (tests/fixtures/store) ---------------

V1_DB = ROOT / "tests" / "fixtures" / "store" / "v1.duckdb.gz"


@pytest.fixture
def v1_db(tmp_path: Path) -> Path:
    """A fresh copy of the schema-version-1 database written by e298a55's store (make_v1_db.py):
    the seed forms, a second version, a deleted form, scenarios; 6 versions, 4 current."""
    import gzip
    import shutil

    path = tmp_path / "v1.duckdb"
    with gzip.open(V1_DB, "rb") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


# --- Streamlit app (tests/test_app_*.py) --------------------------------------------------


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh database file for one AppTest; Streamlit caches are shared per process, so clear them."""
    import streamlit as st

    db = tmp_path / "app.duckdb"
    monkeypatch.setenv("PERFBOARD_DB", str(db))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield db
    st.cache_resource.clear()
    st.cache_data.clear()


# --- whole forms in a database (tests/test_concurrency.py, tests/test_crash.py) ----------------


def _assert_whole_forms(store: Store) -> pd.DataFrame:
    """Every current form of ``store`` is whole: all its indicator rows (their scores plus the
    execution score add up to the stored rule total) and exactly its findings. Returns forms_table.

    Three queries over all forms, so it stays cheap after every one of many imports or kills;
    they are three snapshots, so call it when no write is running.
    """
    import pandas as pd

    table = store.forms_table()
    items = store.deductions(by="project")[["version_id", "n_items", "score"]]
    whole = table.merge(items, on="version_id", how="left", validate="one_to_one")
    off_total = (whole["score"] - whole["rule_total"]).abs() > 0.01
    broken = whole[(whole["n_items"] != whole["n_indicators"] + 1) | off_total]
    assert broken.empty, (
        "forms without all their indicator rows:\n"
        f"{broken[['version_id', 'project', 'n_indicators', 'n_items', 'score', 'rule_total']]}"
    )
    findings = store.findings()
    found = pd.crosstab(findings["version_id"], findings["severity"])
    found = found.reindex(index=table["version_id"], columns=["error", "warning"], fill_value=0)
    assert (found["error"].to_numpy() == table["n_errors"].to_numpy()).all(), "findings missing or extra"
    assert (found["warning"].to_numpy() == table["n_warnings"].to_numpy()).all(), "findings missing or extra"
    return table


@pytest.fixture
def assert_whole_forms() -> Callable[[Store], pd.DataFrame]:
    """The check above as a fixture: ``assert_whole_forms(store) -> forms_table``."""
    return _assert_whole_forms
