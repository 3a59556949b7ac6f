"""FormRecord rows line up with the store's tables and survive a trip to a worker process."""
from __future__ import annotations

import pickle

from perfcore.records import form_record
from perfcore.scoring import score_form
from perfcore.serialize import content_hash
from perfcore.store import TABLES
from tests.formfactory import Row, make_form

# form_versions columns the store fills in itself: id, version_no, is_current, deleted,
# deleted_at, deleted_by, content_hash, import_id, file_name, imported_at, user_name.
ASSIGNED = 11


def test_rows_have_one_value_per_column_of_their_table() -> None:
    form = make_form([Row("购置设备", "=6台", "5台", 20, declared=20)])
    record = form_record(form, score_form(form))
    width = len(TABLES["form_versions"])
    assert len(record.head) + len(record.place) + len(record.body) == width - ASSIGNED
    assert [name for name, _, _ in TABLES["form_versions"][width - len(record.body):]][0] == "policy"
    for table, rows in (("fund_lines", record.fund_lines), ("indicators", record.indicators),
                        ("findings", record.findings)):
        assert rows and {len(row) for row in rows} == {len(TABLES[table]) - 1}, table  # minus version_id
    assert record.key == form.key and record.digest == content_hash(form)
    assert [row[9] for row in record.indicators] == ["missed"]  # status column


def test_an_unscored_form_still_gives_its_rows_without_scores() -> None:
    form = make_form()
    record = form_record(form)
    assert record.findings == [] and all(row[8] is None for row in record.indicators)
    assert pickle.loads(pickle.dumps(record)) == record

