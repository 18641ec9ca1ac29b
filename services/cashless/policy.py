"""The policy engine of キャッシュレス (pure functions): each receivable's class with the rule that put
it there, the coverage of the targets, the rollout transitions, and the reminder dates.

The rules, in order (the material, §3 導入方針; the thresholds are settings):

1. a receivable whose name contains an exclusion's keyword → 対象外, with the exclusion's reason
   (the material's: 複写機等使用徴収金, 収入印紙売りさばき収入金, 斎場使用料 used only by specific
   businesses; admins add more, each with a reason);
2. annual cases entered and at least ``min_cases`` (3,000) → 全面導入の対象, unless its unit price
   is known and below ``qr_max_unit_price`` → 二次元コード決済 (単価が低い);
3. annual cases entered and below ``min_cases`` → 二次元コード決済 (件数が少ない);
4. cases not entered: listed by the material as 3,000 cases or more → 全面導入の対象 (on the
   material's word); already introduced (R4/R5当初) → 導入済み; otherwise 判定保留.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date

from services.cashless.models import (
    Classification,
    Coverage,
    Exclusion,
    PolicyClass,
    Receivable,
    Rollout,
    Thresholds,
)
from services.kernel.calendar import add_business_days, next_business_day


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def matching_exclusion(receivable: Receivable, exclusions: Iterable[Exclusion]) -> Exclusion | None:
    name = _norm(receivable.name)
    for exclusion in exclusions:
        if exclusion.keyword and _norm(exclusion.keyword) in name:
            return exclusion
    return None


def classify(
    receivable: Receivable, thresholds: Thresholds, exclusions: Sequence[Exclusion]
) -> Classification:
    exclusion = matching_exclusion(receivable, exclusions)
    if exclusion is not None:
        return Classification(
            PolicyClass.EXCLUDED, f"対象外（{exclusion.keyword}）: {exclusion.reason}", exclusion
        )
    cases = receivable.annual_cases
    minimum = thresholds.min_cases
    if cases is not None:
        price = receivable.unit_price
        if cases >= minimum:
            if price is not None and price < thresholds.qr_max_unit_price:
                return Classification(
                    PolicyClass.QR,
                    (
                        f"年間{cases:,}件（{minimum:,}件以上）ですが、平均単価 {price:,}円が"
                        f"{thresholds.qr_max_unit_price:,}円未満のため、導入費用・月額固定費が不要な二次元コード決済"
                    ),
                )
            basis = f"平均単価 {price:,}円" if price is not None else "金額未入力のため単価の判定なし"
            return Classification(
                PolicyClass.TARGET, f"年間{cases:,}件（{minimum:,}件以上）: 全面導入の対象（{basis}）"
            )
        return Classification(
            PolicyClass.QR,
            (
                f"年間{cases:,}件（{minimum:,}件未満）で利用件数が少ないため、導入費用・月額固定費が不要な二次元コード決済"
            ),
        )
    if receivable.listed:
        return Classification(
            PolicyClass.TARGET,
            (f"会議資料の「年間件数{minimum:,}件以上の未導入債権」に掲載（件数は未入力）: 全面導入の対象"),
        )
    if receivable.introduced or receivable.status is Rollout.DONE:
        when = f"{receivable.introduced}に" if receivable.introduced else ""
        return Classification(
            PolicyClass.INTRODUCED, f"{when}導入済み（件数は未入力のため方針の判定はしていません）"
        )
    return Classification(PolicyClass.UNDETERMINED, "年間件数が未入力のため判定できません")


def coverage(
    receivables: Sequence[Receivable], thresholds: Thresholds, exclusions: Sequence[Exclusion]
) -> Coverage:
    """The share of the total annual amount that the targets (全面導入の対象) cover.

    Only receivables with both cases and amount entered count (a target by the material's word
    but without an amount cannot be weighed); the others are reported as ``missing``."""
    covered = total = counted = missing = excluded = 0
    for r in receivables:
        if r.annual_amount is None or r.annual_cases is None:
            missing += 1
            continue
        counted += 1
        total += r.annual_amount
        c = classify(r, thresholds, exclusions).policy_class
        if c is PolicyClass.TARGET:
            covered += r.annual_amount
        elif c is PolicyClass.EXCLUDED:
            excluded += 1
    return Coverage(covered, total, counted, missing, excluded)


# --- rollout -------------------------------------------------------------------------------------


def transition_problem(
    old: Rollout, new: Rollout, planned_on: date | None, reason: str, policy_class: PolicyClass
) -> str | None:
    """Why a status change is not allowed (Japanese), or None. Forward moves may skip steps; a move
    back needs a reason; 導入予定 needs a date; an excluded receivable has no rollout."""
    if policy_class is PolicyClass.EXCLUDED and new is not Rollout.NOT_STARTED:
        return "対象外の債権は導入状況を進められません（対象外の理由を見直す場合は管理者にご相談ください）"
    if new is Rollout.PLANNED and planned_on is None:
        return "導入予定にするときは導入予定日を入力してください"
    if new.rank < old.rank and not reason:
        return f"「{old.value}」から「{new.value}」に戻すときは理由を入力してください"
    return None


def is_late(receivable: Receivable, as_of: date) -> bool:
    return (
        receivable.status is Rollout.PLANNED
        and receivable.planned_on is not None
        and receivable.planned_on < as_of
    )


def late_alert_day(planned_on: date) -> date:
    """The planned date has passed: the first business day after it."""
    return add_business_days(planned_on, 1)


def tender_reminder_day(tender_year: int, lead_months: int) -> date:
    """The switching-year reminder: ``lead_months`` before the 公募 fiscal year starts (April 1 of
    ``tender_year``), moved to the next business day (weekends, holidays, 12/29–1/3)."""
    year, month = tender_year, 4 - lead_months
    while month < 1:
        year, month = year - 1, month + 12
    return next_business_day(date(year, month, 1))


def tender_reminder_due(receivable: Receivable, as_of: date, lead_months: int) -> date | None:
    """The reminder date if it is due on ``as_of``: a 指定管理者 facility with a switching year,
    not yet introduced, from the reminder day to the end of the 公募 fiscal year."""
    if receivable.tender_year is None or receivable.status is Rollout.DONE:
        return None
    day = tender_reminder_day(receivable.tender_year, lead_months)
    if day <= as_of <= date(receivable.tender_year + 1, 3, 31):
        return day
    return None
