"""Shared pytest fixtures."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # app.py, pages/ and ui/ live at the repo root, outside the installed package
    sys.path.insert(0, str(ROOT))


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
