"""How the reports print scores, differences, rules and checks (PDF and Excel alike).

Why a module of its own: the scorecard and department reports and both workbooks name
the same things; one place keeps them in the same words and formats.
"""
from __future__ import annotations

from perfcore import fmt
from perfcore.checks import REGISTRY
from perfcore.policy import POLICIES


def points(value: float | None) -> str:
    """A score as the reports print it: two decimals (92.01, 100.00); None → "—" (fmt.score, the app's rule)."""
    return fmt.score(value)


def signed_points(value: float | None) -> str:
    """A difference in points with its sign and two decimals: +5.99, -0.25, 0.00; None → "—" (fmt.signed)."""
    return fmt.signed(value)


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
