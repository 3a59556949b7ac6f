"""How the app and the reports name rules and checks (scores and differences: perfcore.fmt).

Why a module of its own: the scorecard and department reports and both workbooks name
the same things; one place keeps them in the same words and formats.
"""
from __future__ import annotations

from perfcore.checks import REGISTRY
from perfcore.policy import POLICIES


def policy_label(name: str) -> str:
    """A policy's Chinese label; its code name only when perfboard does not know it."""
    return POLICIES[name].label if name in POLICIES else (name or "未记录")


def code_title(code: str) -> str:
    """A check's Chinese name (perfcore.checks.REGISTRY): C09 → “自评得分虚高”; "" when unknown."""
    check = REGISTRY.get(code)
    return check.title if check else ""


def code_label(code: str) -> str:
    """A check code with its Chinese name: “C09 自评得分虚高”."""
    return f"{code} {code_title(code)}".strip()
