"""Scoring policy: every number and word list the rules use, in one frozen dataclass.

Provinces print variants of the form and score them differently (two decimals or
whole points, 10 or 20 points for execution, other qualitative bands). Nothing in
scoring or checks hard-codes a rule setting; it reads it from a Policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Band:
    """One qualitative grade: share of the weight in [low, high) (high inclusive for the top band)."""

    label: str      # 达成 / 部分达成 / 未达成
    status: str     # met / partly / missed
    low: float
    high: float
    share: float    # default share of the weight given for this grade

    def contains(self, share: float, tolerance: float = 1e-9) -> bool:
        """True when a declared share of the weight lies inside this band."""
        top = self.high >= 1.0
        return self.low - tolerance <= share and (share <= self.high + tolerance if top else share < self.high)


@dataclass(frozen=True)
class Policy:
    """All rule settings of one scoring scheme (defaults: 财预〔2020〕10号, Shanghai rounding)."""

    name: str
    label: str
    execution_weight: float = 10.0        # used when the form prints no 分值 for execution
    decimals: int = 2                     # rounding of every score (Shanghai: 2; some provinces 0)
    rate_cap: float = 1.0                 # execution rate above this scores as this
    over_achievement_ratio: float = 1.5   # actual / target above this is flagged (never scored down)
    equal_as_forward: bool = True         # "=T" with T > 0 is scored like ">=T"
    zero_all_or_nothing: bool = True      # "=0", "<=0": met → full, else 0
    qualitative_bands: tuple[Band, ...] = (
        Band("达成", "met", 0.8, 1.0, 1.0),
        Band("部分达成", "partly", 0.6, 0.8, 0.7),
        Band("未达成", "missed", 0.0, 0.6, 0.0),
    )
    achievement_words: tuple[str, ...] = (
        "达成预期指标", "效果明显", "达成", "完成", "达到", "实现", "达标", "合格", "及时", "健全",
        "完善", "提升", "提高", "增长", "共享", "公开", "优化", "有效", "正常", "到位", "按时",
        "良好", "满意", "明显", "是", "√",
    )
    partial_words: tuple[str, ...] = ("部分", "基本")
    negative_words: tuple[str, ...] = ("未", "否", "不", "滞后", "没有", "尚未", "×")
    # Phrases that contain a negative character but are not negative (不断提升, 无差错 ...).
    negative_exceptions: tuple[str, ...] = ("不断", "无差错", "无事故", "无误")
    # Text meaning "none happened", accepted as 0 against a zero target (重大事故发生数 =0 → 未发生).
    zero_words: tuple[str, ...] = ("无", "零", "未发生", "没有发生", "没有", "未出现", "无发生")
    grade_bands: tuple[tuple[str, float], ...] = (("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", 0.0))
    level1_split: tuple[tuple[str, float], ...] = (("产出", 50.0), ("效益", 30.0), ("满意度", 10.0))
    total_weight: float = 100.0
    score_tolerance: float = 0.01         # points
    rate_tolerance: float = 0.0001        # fraction: 0.01 percentage point
    money_tolerance: float = 0.01         # yuan, for sums of fund rows
    low_execution_rate: float = 0.9       # below this the form must give a reason
    disabled_checks: frozenset[str] = field(default_factory=frozenset)

    def __hash__(self) -> int:
        """Hash of every field, computed once: a policy is part of the key of memoised rule
        assessments (rules.assess), so it is hashed once per indicator."""
        try:
            return self.__dict__["_hash"]
        except KeyError:
            value = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", value)
            return value

    def __getstate__(self) -> dict:
        """Pickled without the cached hash: string hashes differ between processes."""
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    def round(self, value: float) -> float:
        """Round half up (not banker's rounding) to the policy's decimals: 0.759 → 0.76."""
        quantum = Decimal(1).scaleb(-self.decimals)
        return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))

    def band(self, status: str) -> Band | None:
        """The qualitative band of a status (met / partly / missed)."""
        return next((b for b in self.qualitative_bands if b.status == status), None)

    def grade_threshold(self, grade: str) -> float:
        """Lowest total that earns this grade; ValueError for a grade the policy does not know."""
        for label, low in self.grade_bands:
            if label == grade:
                return low
        raise ValueError(f"未知等级“{grade}”，可选：{'、'.join(g for g, _ in self.grade_bands)}")


DEFAULT_POLICY = Policy(name="mof-2020-shanghai", label="财预〔2020〕10号（上海两位小数）")

# A variant seen in several provinces: 20 points for execution, indicators worth 80,
# qualitative bands 100–80 / 80–50 / 50–0 (default share of 部分达成 = band middle 65%).
EXEC20_POLICY = replace(
    DEFAULT_POLICY,
    name="exec20-bands-80-50",
    label="执行率20分、定性三档100–80/80–50/50–0",
    execution_weight=20.0,
    qualitative_bands=(
        Band("达成", "met", 0.8, 1.0, 1.0),
        Band("部分达成", "partly", 0.5, 0.8, 0.65),
        Band("未达成", "missed", 0.0, 0.5, 0.0),
    ),
    level1_split=(("产出", 40.0), ("效益", 30.0), ("满意度", 10.0)),
)

POLICIES: dict[str, Policy] = {p.name: p for p in (DEFAULT_POLICY, EXEC20_POLICY)}


def get_policy(name: str | None) -> Policy:
    """Policy by name (None → default). KeyError with the known names in Chinese otherwise."""
    if name is None:
        return DEFAULT_POLICY
    try:
        return POLICIES[name]
    except KeyError:
        raise KeyError(f"未知评分规则“{name}”，可选：{'、'.join(POLICIES)}") from None
