"""Store.project_page and Store.unit_comparison on a real DuckDB file with the seed imported."""
from __future__ import annotations

import pytest
from apphelp import seed

from perfcore.model import Text
from perfcore.store import PROJECT_ORDERS, Filters, Store


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "pages.duckdb"
    seed(db)                                            # 2021: 窗口业务管理 92.01, the others 100
    seed(db, year=2022, spent=0.8)                      # 2022: 90.01 and 98.00
    seed(db, unit=Text("另一实施单位"), spent=0.5)       # 2021, a second unit spending half
    with Store(db) as s:
        yield s


def test_each_ranking_puts_the_right_project_first(store):
    f = Filters(year=2021, unit="上海市松江区行政服务中心")
    firsts = {order: store.project_page(f, order=order, limit=1).rows.iloc[0]["project"] for order in PROJECT_ORDERS}
    assert firsts["rule_low"] == firsts["gap_wide"] == "窗口业务管理"
    assert firsts["budget_large"] == "深化“一网通办”专项费用"
    page = store.project_page(f, order="rule_low", limit=10)
    assert list(page.rows["rule_total"]) == sorted(page.rows["rule_total"]) and page.total == 5


def test_pages_search_and_filters_go_through_the_same_where(store):
    everything = store.project_page(limit=100)
    assert everything.total == 15 == len(everything.rows)
    second = store.project_page(order="rate_low", limit=4, offset=4)
    assert second.offset == 4 and len(second.rows) == 4
    assert list(second.rows["version_id"]) == list(store.project_page(order="rate_low", limit=100).rows["version_id"][4:8])
    found = store.project_page(search="窗口", limit=100)
    assert found.total == 3 and set(found.rows["project"]) == {"窗口业务管理"}
    by_unit = store.project_page(search="另一", limit=100)  # the unit's name is searched too
    assert by_unit.total == 5 and set(by_unit.rows["unit"]) == {"另一实施单位"}
    assert store.project_page(Filters(year=2022), search="窗口", limit=100).total == 1
    assert store.project_page(search="没有这个", limit=10).rows.empty
    with pytest.raises(ValueError):
        store.project_page(order="name")


def test_units_side_by_side(store):
    table = store.unit_comparison(Filters(year=2021)).set_index("unit")
    assert list(table.index) == ["另一实施单位", "上海市松江区行政服务中心"]  # lowest mean score first
    seeded, other = table.loc["上海市松江区行政服务中心"], table.loc["另一实施单位"]
    assert seeded["n_forms"] == other["n_forms"] == 5 and seeded["n_scored"] == 5
    assert seeded["rate"] == pytest.approx(1.0) and other["rate"] == pytest.approx(0.5)
    assert seeded["mean_score"] == pytest.approx(98.402) and seeded["deduction"] == pytest.approx(7.99)
    assert other["deduction"] == pytest.approx(7.99 + 5 * 5)  # execution 10 × 50% on each of five forms
    # the same deductions as the deductions view by unit
    by_unit = store.deductions(Filters(year=2021), by="unit").set_index("unit")["deduction"]
    assert by_unit.to_dict() == pytest.approx(table["deduction"].to_dict())
    assert store.unit_comparison(Filters(year=2022))["n_forms"].tolist() == [5]
