"""The 堺市DX plan and report forms: what a card sends, cleaned and checked (Japanese errors per field)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from services.dx.models import Category, Milestone, Plan, PlanForm
from services.kernel.calendar import DateParseError, parse_japanese_date
from services.kernel.privacy import mask_my_number

LIMITS = {
    "business": 100,
    "purpose": 1000,
    "goal": 1000,
    "kpi": 200,
    "kpi_unit": 10,
    "issues": 1000,
    "milestones": 2000,
    "comment": 1000,
    "results": 2000,
    "learned": 2000,
}
FIELDS = ("business", "category", "purpose", "goal", "kpi", "kpi_target", "kpi_unit", "issues", "milestones")
REQUIRED = {
    "business": "DX対象業務",
    "category": "区分",
    "purpose": "目的",
    "goal": "目標",
    "kpi": "KPI",
    "kpi_target": "KPIの目標値",
    "kpi_unit": "単位",
    "milestones": "マイルストーン",
}


def clean(text: Any) -> str:
    """NFKC and trimmed; a My Number typed into free text is masked before anything keeps it."""
    return mask_my_number(unicodedata.normalize("NFKC", str(text or "")).strip())


def parse_number(text: str) -> float | None:
    """A KPI figure: NFKC, commas allowed, at most 15 characters, 0 or more."""
    value = clean(text).replace(",", "")
    if not value or len(value) > 15:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None


def parse_milestones(text: str) -> tuple[list[Milestone], str]:
    """Lines of 「2026-12-01 内容」 (西暦 or 和暦); returns (milestones, error)."""
    result = []
    for number, line in enumerate(clean(text).splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        head, _, title = line.replace("\u3000", " ").partition(" ")
        try:
            due = parse_japanese_date(head)
        except DateParseError:
            return [], f"{number}行目: 「日付 内容」の形で書いてください（例: 2026-12-01 業務フローの作成）"
        if not title.strip():
            return [], f"{number}行目: 日付のあとに内容を書いてください"
        result.append(Milestone(due, title.strip()[:100]))
    return sorted(result, key=lambda m: m.due), ""


def milestones_text(milestones: Sequence[Milestone]) -> str:
    return "\n".join(f"{m.due.isoformat()} {m.title}" for m in milestones)


def form_of(
    plan: Plan,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str = "",
) -> PlanForm:
    shown = {k: str(v) for k, v in plan.content().items() if k != "milestones"}
    shown["kpi_target"] = f"{plan.kpi_target:g}"
    shown["milestones"] = milestones_text(plan.milestones)
    return PlanForm(
        plan.bureau,
        plan.department,
        plan.plan_id,
        plan.etag or "",
        dict(values) if values is not None else shown,
        dict(errors or {}),
        notice,
    )


def validate(form: PlanForm, data: Mapping[str, Any]) -> tuple[dict[str, Any], PlanForm | None]:
    values = {k: str(data.get(k) or "") for k in FIELDS}
    errors: dict[str, str] = {}
    for name, label in REQUIRED.items():
        if not clean(values[name]):
            errors[name] = f"{label}を入力してください"
    for name, limit in LIMITS.items():
        if name in values and len(clean(values[name])) > limit:
            errors[name] = f"{limit}文字以内で入力してください"
    content: dict[str, Any] = {k: clean(values[k]) for k in FIELDS}
    if content["category"] and content["category"] not in {c.value for c in Category}:
        errors["category"] = "区分を選んでください"
    target = parse_number(values["kpi_target"])
    if clean(values["kpi_target"]) and (target is None or target == 0):
        errors["kpi_target"] = "KPIの目標値は 0 より大きい数で入力してください（例: 120）"
    content["kpi_target"] = target or 0.0
    milestones, problem = parse_milestones(values["milestones"])
    if problem:
        errors["milestones"] = problem
    content["milestones"] = milestones
    if errors:
        return content, PlanForm(
            form.bureau,
            form.department,
            form.plan_id,
            form.etag,
            values,
            errors,
            "入力内容を確認してください。",
        )
    return content, None


def validate_report(data: Mapping[str, Any]) -> tuple[float, str, str, bool, list[str]]:
    """The 実施報告書 card: (KPI actual, results, learned, shared, problems)."""
    actual = parse_number(str(data.get("kpi_actual") or ""))
    results, learned = clean(data.get("results")), clean(data.get("learned"))
    problems = []
    if actual is None:
        problems.append("KPIの実績を数で入力してください（例: 95）")
    if not results:
        problems.append("取組の結果を入力してください")
    if not learned:
        problems.append("分かったこと・今後に生かすことを入力してください")
    if len(results) > LIMITS["results"] or len(learned) > LIMITS["learned"]:
        problems.append("結果・分かったことはそれぞれ2000文字以内で入力してください")
    shared = str(data.get("shared") or "").lower() in ("true", "1", "yes")
    return actual or 0.0, results, learned, shared, problems
