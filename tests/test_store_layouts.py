"""Layouts staff taught (对照) in the store, on a real DuckDB file: saved per department within the
account's scope, read back as the reader needs them, undone and deleted, every change audited."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.workbook_builder import FormSpec, one_form

from perfcore import layouts
from perfcore.accounts import Account, Scope, role
from perfcore.errors import PermissionDenied, StoreError
from perfcore.store import Store

HEADERS = ("类别", "小类", "考核事项", "计划数", "实绩", "占比", "自评", "说明")
DEPT = "上海市松江区行政服务中心"


def taught_sheet() -> tuple[layouts.Grid, layouts.Taught]:
    _, grids = layouts.read_with_grids(one_form(FormSpec(ind_headers=HEADERS)), "自创.xlsx")
    grid = grids["表1"]
    taught, errors = layouts.check(grid, layouts.Teaching(12, dict(zip(layouts.COLUMN_ROLES, "BCDEFGHI", strict=True)),
                                                          {"budget": "D6", "executed": "E6"}))
    assert taught is not None, errors
    return grid, taught


def save(store: Store, department: str = DEPT, unit: str = "", user: str = "张三") -> int:
    grid, taught = taught_sheet()
    return store.save_layout(department=department, unit=unit, labels=layouts.signature(grid, taught),
                             anchors=layouts.anchors_of(grid, taught), taught=taught, file_name="自创.xlsx",
                             sheet="表1", user=user)


def uploader(*departments: str, units: tuple[str, ...] = ()) -> Account:
    return Account("填报员", role("uploader"), Scope.of(departments, units))


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "layouts.duckdb") as opened:
        yield opened


def test_a_saved_layout_is_read_back_whole_and_audited(store: Store) -> None:
    grid, taught = taught_sheet()
    new_id = save(store)
    (layout,) = store.reading_layouts()
    assert layout.id == new_id == 1 and layout.department == DEPT and layout.taught == taught
    assert {"考核事项", "计划数", "占比"} <= layout.labels and ("name", "D12", "考核事项") in layout.anchors
    assert layouts.fitted(grid, layout) == taught
    found = store.layout(new_id)
    assert found["user"] == "张三" and found["active"] and found["file_name"] == "自创.xlsx"
    log = store.audit_table(action="layout_save")
    assert list(log["user"]) == ["张三"]
    assert log["detail"].iloc[0].startswith(f"保存对照 #1（主管部门“{DEPT}”；文件“自创.xlsx”工作表“表1”；表头第 12 行")


def test_the_same_template_taught_again_replaces_the_older_mapping(store: Store) -> None:
    first, second = save(store), save(store, user="李四")
    assert [lay.id for lay in store.reading_layouts()] == [second]
    assert not store.layout(first)["active"] and store.layout(first)["ended_by"] == "李四"
    assert "取代对照 #1" in store.audit_table(action="layout_save")["detail"].iloc[0]


def test_an_uploader_teaches_only_for_its_departments(store: Store) -> None:
    mine = store.as_user(uploader(DEPT))
    assert save(mine, user="谁都行") == 1
    assert store.layout(1)["user"] == "填报员"  # the audit names the signed-in account, not what a page passed
    with pytest.raises(PermissionDenied, match="主管部门“别的部门”不在账号“填报员”的单位范围"):
        save(mine, department="别的部门")
    with pytest.raises(PermissionDenied, match="请填写这张表的主管部门"):
        save(mine, department="")
    by_unit = store.as_user(uploader(units=("单位甲",)))
    assert save(by_unit, department="别的部门", unit="单位甲") == 2  # its unit's form names that department
    with pytest.raises(PermissionDenied):
        save(store.as_user(Account("查看员", role("viewer"))))
    assert save(store, department="") == 3  # the system (command line, administrators): every department


def test_each_account_reads_with_its_departments_mappings_and_the_shared_ones(store: Store) -> None:
    save(store, department="部门一")
    save(store, department="部门二")
    save(store, department="")
    assert {lay.department for lay in store.reading_layouts()} == {"部门一", "部门二", ""}
    assert {lay.department for lay in store.as_user(uploader("部门一")).reading_layouts()} == {"部门一", ""}
    admin = Account("管理员", role("admin"), Scope.of(["部门一"]))
    assert len(store.as_user(admin).reading_layouts()) == 3
    with pytest.raises(StoreError, match="没有编号为 2 的对照"):
        store.as_user(uploader("部门一")).layout(2)


def test_undo_stops_later_reads_and_is_audited_once(store: Store) -> None:
    save(store, department="部门一")
    with pytest.raises(StoreError):  # another department's uploader does not even see it
        store.as_user(uploader("部门二")).undo_layout(1)
    assert store.as_user(uploader("部门一")).undo_layout(1, user="x") is True
    assert store.reading_layouts() == [] and store.undo_layout(1) is False
    log = store.audit_table(action="layout_undo")
    assert list(log["user"]) == ["填报员"] and "撤销对照 #1" in log["detail"].iloc[0]


def test_only_administrators_list_and_delete(store: Store) -> None:
    save(store, department="部门一")
    with pytest.raises(PermissionDenied):
        store.as_user(uploader("部门一")).layouts()
    with pytest.raises(PermissionDenied):
        store.as_user(uploader("部门一")).delete_layout(1)
    admin = store.as_user(Account("管理员", role("admin")))
    assert [it["id"] for it in admin.layouts()] == [1]
    admin.delete_layout(1, user="ignored")
    assert store.layouts() == [] and store.reading_layouts() == []
    log = store.audit_table(action="layout_delete")
    assert list(log["user"]) == ["管理员"] and log["detail"].iloc[0].startswith("删除对照 #1（主管部门“部门一”")


def test_a_mapping_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "reopen.duckdb"
    with Store(path) as first:
        save(first)
    with Store(path, read_only=True) as again:
        (layout,) = again.reading_layouts()
        assert layout.taught == taught_sheet()[1] and again.schema()["migrations"][-1][0] == "0006_layouts"
