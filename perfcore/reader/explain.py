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

__all__ = ["Decision", "active", "collect", "decide"]


@dataclass(frozen=True)
class Decision:
    """One header candidate: where it is, what it says, the role it got (``""`` = rejected) and why."""

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
        return {**asdict(self), "accepted": self.accepted}


_TRACE: ContextVar[list[Decision] | None] = ContextVar("perfcore_reader_explain", default=None)


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


def decide(part: str, cell: str, label: str, role: str, why: str, *, inferred: bool = False) -> None:
    """Record one decision when collecting; otherwise nothing."""
    trace = _TRACE.get()
    if trace is not None:
        trace.append(Decision(part, cell, label, role, why, inferred))
