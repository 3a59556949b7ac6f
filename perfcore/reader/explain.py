"""What the reader decided about each label, for ``parse --explain``: the first thing a
maintainer reads when a template fails.

The reader calls ``decide`` where it gives a header cell a role (or rejects it); nothing is
kept unless a caller opened ``collect()``, so an import pays one context-variable lookup
per header row and nothing more.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass

__all__ = ["Decision", "active", "begin_form", "collect", "decide", "for_form", "explain_text"]

FormTag = tuple[str, str, int]  # file, sheet, 1-based first row: Form.source


@dataclass(frozen=True)
class Decision:
    """One header candidate: where it is, what it says, the role it got (``""`` = rejected) and why."""

    form: FormTag
    part: str     # 表头 / 项目资金 / 绩效指标 / 总分 ...
    cell: str     # Sheet!C12
    label: str    # as printed
    role: str     # the role given, in Chinese (分值, 年度指标值 ...); "" when rejected
    why: str
    inferred: bool = False  # the role comes from the column's content, not its label

    @property
    def accepted(self) -> bool:
        return bool(self.role)

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        del d["form"]
        return {**d, "accepted": self.accepted}


_TRACE: ContextVar[list[Decision] | None] = ContextVar("perfcore_reader_explain", default=None)
_FORM: ContextVar[FormTag] = ContextVar("perfcore_reader_explain_form", default=("", "", 0))


@contextmanager
def collect() -> Iterator[list[Decision]]:
    """Collect every decision made while the block runs (``with collect() as decisions: read_workbook(...)``)."""
    decisions: list[Decision] = []
    token = _TRACE.set(decisions)
    try:
        yield decisions
    finally:
        _TRACE.reset(token)


def active() -> bool:
    """Whether someone is collecting (lets a caller skip building messages)."""
    return _TRACE.get() is not None


def record(decisions: list[Decision]) -> None:
    """Add decisions made elsewhere (a worker process that read the file) to what is collected here."""
    trace = _TRACE.get()
    if trace is not None:
        trace.extend(decisions)


def begin_form(file: str, sheet: str, first_row: int) -> None:
    """The decisions that follow belong to this form (its ``Form.source``)."""
    if _TRACE.get() is not None:
        _FORM.set((file, sheet, first_row))


def decide(part: str, cell: str, label: str, role: str, why: str, *, inferred: bool = False) -> None:
    """Record one decision when collecting; otherwise nothing."""
    trace = _TRACE.get()
    if trace is not None:
        trace.append(Decision(_FORM.get(), part, cell, label, role, why, inferred))


def for_form(decisions: list[Decision], file: str, sheet: str, first_row: int) -> list[Decision]:
    """The decisions made while reading one form."""
    return [d for d in decisions if d.form == (file, sheet, first_row)]


def explain_text(decisions: list[Decision]) -> str:
    """Chinese lines for a maintainer: each header candidate, the role given and why; rejected ones marked ✗."""
    lines = ["表头识别（每个候选标签、所给角色及原因；✗ 为未采用）："]
    for d in decisions:
        mark = "✓" if d.accepted else "✗"
        role = f" → {d.role}{'（按内容推断）' if d.inferred else ''}" if d.accepted else ""
        lines.append(f"  {mark} [{d.part}] {d.cell}“{d.label}”{role}：{d.why}")
    if len(lines) == 1:
        lines.append("  （没有候选标签）")
    return "\n".join(lines)
