"""FormRecord rows name the columns of the store's tables and survive a trip to a worker process."""
from __future__ import annotations

import pickle

from perfcore.records import FindingRow, FundLineRow, IndicatorRow, VersionRow, form_record
from perfcore.scoring import rules_version, score_form
from perfcore.serialize import content_hash
from perfcore.store import TABLES
from perfcore.store.imports import CHILD_COLUMNS, VERSION_COLUMNS, Placed
from perfcore.store.rescore import RESCORED
from perfcore.store.schema import column_names
from tests.formfactory import Row, make_form


def test_record_fields_and_store_assigned_fields_are_exactly_the_table_columns() -> None:
    """Every column of form_versions comes from the record or the import, never both, none missing."""
    assert not set(Placed._fields) & set(VersionRow._fields)
    assert sorted(VERSION_COLUMNS) == sorted(column_names("form_versions"))
    for table, row_type in (("fund_lines", FundLineRow), ("indicators", IndicatorRow), ("findings", FindingRow)):
        assert CHILD_COLUMNS[table] == ("version_id", *row_type._fields)
        assert sorted(CHILD_COLUMNS[table]) == sorted(column_names(table)), table
    # a rescore rewrites what the rules derive, never the form itself
    assert {"form_json", "content_hash", "unit", "project", "year"}.isdisjoint(RESCORED)
    assert {"rule_total", "grade", "reading_state", "policy", "rules_version", "n_errors"} <= set(RESCORED)


def test_rows_carry_the_values_under_their_column_names() -> None:
    form = make_form([Row("购置设备", "=6台", "5台", 20, declared=20)])
    card = score_form(form)
    record = form_record(form, card)
    v = record.version
    assert (v.year, v.unit, v.project) == form.key == record.key
    assert v.content_hash == record.digest == content_hash(form)
    assert v.rule_total == card.total and v.grade == card.grade and v.reading_state == card.reading.state
    assert v.policy == card.policy and v.rules_version == rules_version() == card.rules_version
    assert v.n_indicators == 1 and v.n_errors == sum(f.severity == "error" for f in card.findings)
    assert [r.status for r in record.indicators] == ["missed"]
    assert [r.code for r in record.findings] == [f.code for f in card.findings]
    assert record.fund_lines[0].kind == "total"
    for rows in (record.fund_lines, record.indicators, record.findings):
        assert rows and all(len(r) == len(type(r)._fields) for r in rows)
    assert {name for name, _, _ in TABLES["form_versions"]} >= set(v._fields)


def test_an_unscored_form_still_gives_its_rows_without_scores() -> None:
    form = make_form()
    record = form_record(form)
    assert record.findings == [] and all(row.score is None for row in record.indicators)
    assert record.version.policy is None and record.version.rules_version is None
    assert pickle.loads(pickle.dumps(record)) == record
