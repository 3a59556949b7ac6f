"""Forms and scorecards to plain dicts (JSON) and back.

Two shapes, because they serve two readers:

* ``form_to_dict`` is the public JSON contract of ``perfcore parse --json`` (issue 2 §5):
  ``source``, ``year``, ``project``, ``department``, ``unit``, ``funds``, ``execution``,
  ``goals``, ``indicators``, ``total``. Other tools read these keys, so they never change.
  Extras are only ever added: ``money_unit``, ``fund_lines`` (every funds row in sheet order,
  with its label), ``extra_funds`` (rows beyond the four standard ones), ``extra`` (header
  fields such as 项目负责人), ``notes``, ``layout`` (where each block was found), each
  indicator's ``row``, and two flat maps keyed by a
  path (``"execution.rate"``, ``"indicators.3.actual"``, ``"fund_lines.0.budget"``):
  ``cells`` (where each value was read) and ``raw`` (the text as printed). With them the
  contract dict reloads into the very same Form.
* ``form_dump`` is every dataclass field as plain data (slower: ~3× form_to_dict).
  ``form_from_dict`` reads both shapes. The store keeps ``form_to_dict``: one walk of the form
  gives both the stored JSON and the content hash; tests/test_serialize.py fails when a model
  field is added that this module does not carry yet.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import types
import typing
from typing import Any

from perfcore.formdiff import content
from perfcore.model import (
    FUND_KINDS,
    Execution,
    Form,
    FundLine,
    Goals,
    Indicator,
    Num,
    Scorecard,
    Source,
    Text,
)
from perfcore.vocab import FUND_LABELS

# vocab.FUND_LABELS: the label used when a contract dict names a fund kind but not its label.
_AMOUNTS = ("initial", "budget", "executed")
# Key that only the full dump has: tells form_from_dict which shape it got.
_DUMP_MARK = "total_declared"


# --- full dump (lossless, what the store keeps) ---------------------------------------


def form_dump(form: Form) -> dict[str, Any]:
    """Every field of the Form as plain data, like dataclasses.asdict (which deep-copies
    every leaf and costs ~5 ms a form, as much as reading it)."""
    return _dump(form)


_LEAVES = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}  # per class: dataclass field names, None = not one


def _dump(obj: Any) -> Any:
    cls = obj.__class__
    if cls in _LEAVES:
        return obj
    if cls is list or cls is tuple:
        return [_dump(v) for v in obj]
    if cls is dict:
        return {k: _dump(v) for k, v in obj.items()}
    if cls not in _FIELD_NAMES:
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None
    names = _FIELD_NAMES[cls]
    if names is None:
        return obj
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = value if value.__class__ in _LEAVES else _dump(value)
    return out


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(tp: Any, value: Any) -> Any:
    """Plain data to the annotated type: nested dataclasses, lists and optional fields."""
    if value is None:
        return None
    if isinstance(tp, type) and dataclasses.is_dataclass(tp) and isinstance(value, dict):
        return _build(tp, value)
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        (arg, *_) = typing.get_args(tp) or (Any,)
        return [_convert(arg, v) for v in value]
    if origin is dict:
        return dict(value)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if isinstance(arg, type) and dataclasses.is_dataclass(arg) and isinstance(value, dict):
                return _build(arg, value)
    return value


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    kwargs = {
        f.name: _convert(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)
        if f.name in data
    }
    return cls(**kwargs)


# --- public contract dict -----------------------------------------------------------------


class _Places:
    """Collects the cell and raw text of each value under its path while a dict is built."""

    def __init__(self, cells: dict[str, str] | None = None, raw: dict[str, str] | None = None):
        self.cells = cells if cells is not None else {}
        self.raw = raw if raw is not None else {}

    def num(self, path: str, n: Num) -> float | None:
        if n.cell:
            self.cells[path] = n.cell
        if n.raw:
            self.raw[path] = n.raw
        return n.value

    def text(self, path: str, t: Text) -> str:
        if t.cell:
            self.cells[path] = t.cell
        return t.value

    def to_num(self, path: str, value: Any) -> Num:
        return Num(value=value, raw=self.raw.get(path, ""), cell=self.cells.get(path, ""))

    def to_text(self, path: str, value: Any) -> Text:
        return Text(value=value or "", cell=self.cells.get(path, ""))


def _amounts(line: FundLine | None, places: _Places | None = None, path: str = "") -> dict[str, float | None]:
    if line is None:
        return {k: None for k in _AMOUNTS}
    if places is None:
        return {k: getattr(line, k).value for k in _AMOUNTS}
    return {k: places.num(f"{path}.{k}", getattr(line, k)) for k in _AMOUNTS}


def form_to_dict(form: Form) -> dict[str, Any]:
    """The public JSON contract of one form (keys stable; see the module docstring)."""
    p = _Places()
    fund_lines = [
        {"kind": line.kind, "label": line.label, **_amounts(line, p, f"fund_lines.{i}")}
        for i, line in enumerate(form.funds)
    ]
    indicators = [
        {
            "level1": ind.level1,
            "level2": ind.level2,
            "name": ind.name,
            "target": p.text(f"indicators.{i}.target", ind.target),
            "actual": p.text(f"indicators.{i}.actual", ind.actual),
            "weight": p.num(f"indicators.{i}.weight", ind.weight),
            "declared_score": p.num(f"indicators.{i}.declared_score", ind.declared_score),
            "note": p.text(f"indicators.{i}.note", ind.note),
            "cell": ind.cell,
            "row": ind.row,
        }
        for i, ind in enumerate(form.indicators)
    ]
    return {
        "source": {"file": form.source.file, "sheet": form.source.sheet, "first_row": form.source.first_row},
        "year": form.year,
        "project": p.text("project", form.project),
        "department": p.text("department", form.department),
        "unit": p.text("unit", form.unit),
        "funds": {kind: _amounts(form.fund(kind)) for kind in FUND_KINDS},
        "execution": {
            "weight": p.num("execution.weight", form.execution.weight),
            "rate": p.num("execution.rate", form.execution.rate),
            "declared_score": p.num("execution.declared_score", form.execution.declared_score),
        },
        "goals": {
            "planned": p.text("goals.planned", form.goals.planned),
            "actual": p.text("goals.actual", form.goals.actual),
        },
        "indicators": indicators,
        "total": {
            "weight": p.num("total.weight", form.total_weight),
            "declared_score": p.num("total.declared_score", form.total_declared),
        },
        "money_unit": form.money_unit,
        "fund_lines": fund_lines,
        "extra_funds": [
            {k: v for k, v in line.items() if k != "kind"} for line in fund_lines if line["kind"] not in FUND_KINDS
        ],
        "extra": dict(form.extra),
        "notes": list(form.notes),
        "layout": dict(form.layout),
        "doubts": list(form.doubts),
        "cells": p.cells,
        "raw": p.raw,
    }


def _funds_from_contract(d: dict[str, Any], p: _Places) -> list[FundLine]:
    """Fund lines from ``fund_lines`` when present, else from ``funds`` + ``extra_funds``."""
    if "fund_lines" in d:
        rows = d["fund_lines"]
    else:
        funds = {kind: amounts for kind, amounts in (d.get("funds") or {}).items() if amounts}
        rows = [
            {"kind": kind, "label": FUND_LABELS[kind], **funds[kind]}
            for kind in FUND_KINDS
            if any(v is not None for v in funds.get(kind, {}).values())
        ]
        rows += [{"kind": "extra", **row} for row in d.get("extra_funds") or []]
    return [
        FundLine(
            kind=row.get("kind", "extra"),
            label=row["label"] if "label" in row else FUND_LABELS.get(row.get("kind", ""), ""),
            **{k: p.to_num(f"fund_lines.{i}.{k}", row.get(k)) for k in _AMOUNTS},
        )
        for i, row in enumerate(rows)
    ]


def _form_from_contract(d: dict[str, Any]) -> Form:
    p = _Places(dict(d.get("cells") or {}), dict(d.get("raw") or {}))
    src = d.get("source") or {}
    execution = d.get("execution") or {}
    goals = d.get("goals") or {}
    total = d.get("total") or {}
    indicators = [
        Indicator(
            level1=item.get("level1", ""),
            level2=item.get("level2", ""),
            name=item.get("name", ""),
            target=p.to_text(f"indicators.{i}.target", item.get("target")),
            actual=p.to_text(f"indicators.{i}.actual", item.get("actual")),
            weight=p.to_num(f"indicators.{i}.weight", item.get("weight")),
            declared_score=p.to_num(f"indicators.{i}.declared_score", item.get("declared_score")),
            note=p.to_text(f"indicators.{i}.note", item.get("note")),
            cell=item.get("cell", ""),
            row=item.get("row", 0),
        )
        for i, item in enumerate(d.get("indicators") or [])
    ]
    return Form(
        source=Source(file=src.get("file", ""), sheet=src.get("sheet", ""), first_row=src.get("first_row", 1)),
        year=d.get("year"),
        project=p.to_text("project", d.get("project")),
        department=p.to_text("department", d.get("department")),
        unit=p.to_text("unit", d.get("unit")),
        money_unit=d.get("money_unit", "元"),
        funds=_funds_from_contract(d, p),
        execution=Execution(
            weight=p.to_num("execution.weight", execution.get("weight")),
            rate=p.to_num("execution.rate", execution.get("rate")),
            declared_score=p.to_num("execution.declared_score", execution.get("declared_score")),
        ),
        goals=Goals(
            planned=p.to_text("goals.planned", goals.get("planned")),
            actual=p.to_text("goals.actual", goals.get("actual")),
        ),
        indicators=indicators,
        total_weight=p.to_num("total.weight", total.get("weight")),
        total_declared=p.to_num("total.declared_score", total.get("declared_score")),
        extra=dict(d.get("extra") or {}),
        notes=list(d.get("notes") or []),
        layout=dict(d.get("layout") or {}),
        doubts=list(d.get("doubts") or []),
    )


def form_from_dict(d: dict[str, Any]) -> Form:
    """A Form from either ``form_to_dict`` output or a ``form_dump``; lossless for both."""
    if _DUMP_MARK in d:
        return _build(Form, d)
    return _form_from_contract(d)


# --- identity of a form's content ---------------------------------------------------------


_PLACE_KEYS = frozenset({"source", "cells", "raw", "notes", "layout", "doubts"})


def content_hash(form: Form | dict[str, Any]) -> str:
    """SHA-256 of what the form says, canonical (perfcore.formdiff.content), ignoring where it was
    read (file, sheet, rows, cells) and how a program printed the same value.

    Takes a Form or its ``form_to_dict`` (saves building the dict twice). The same form in
    the five-sheet and the stacked sample workbooks, or re-saved by LibreOffice, hashes the
    same, so importing both stores it once; any changed figure or text gives a new hash.
    """
    d = form_to_dict(form) if isinstance(form, Form) else form
    text = json.dumps(content(d, _PLACE_KEYS), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- scorecards ---------------------------------------------------------------------------


def scorecard_to_dict(sc: Scorecard) -> dict[str, Any]:
    """``form_to_dict`` plus the rule scores, explanations, grade, findings and the reading
    report (``reading``: state 完整 / 需核实 / 无法计分, blocks found, what is missing)."""
    d = form_to_dict(sc.form)
    d["execution"].update(
        score=sc.execution.score,
        rule_rate=sc.execution.rate,
        rule_weight=sc.execution.weight,
        explanation=sc.execution.explanation,
    )
    scores = {s.index: s for s in sc.indicators}
    for i, item in enumerate(d["indicators"]):
        s = scores.get(i)
        item.update(
            score=s.score if s else None,
            status=s.status if s else "unknown",
            explanation=s.explanation if s else "",
            deduction=s.deduction if s else None,
        )
    d["total"]["score"] = sc.total  # null when the form cannot be scored
    d["grade"] = sc.grade            # null unless the form was read completely
    d["reading"] = sc.reading.to_dict()
    d["policy"] = sc.policy
    d["rules_version"] = sc.rules_version  # perfcore.scoring.rules_version: which rules and settings scored it
    d["difference"] = sc.difference
    d["findings"] = [
        {"code": f.code, "severity": f.severity, "message": f.message, "cell": f.cell, "indicator": f.indicator}
        for f in sc.findings
    ]
    return d
