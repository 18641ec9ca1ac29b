"""キャッシュレス policy engine: each rule, each exclusion, the QR rule, coverage arithmetic, the rollout
transitions and the switching-year reminder dates (pure functions, no storage)."""

from __future__ import annotations

from datetime import date

import pytest

from services.cashless.models import Channel, Exclusion, PolicyClass, Receivable, Rollout, Thresholds
from services.cashless.policy import (
    classify,
    coverage,
    late_alert_day,
    tender_reminder_day,
    tender_reminder_due,
    transition_problem,
)
from services.kernel.calendar import is_business_day

T = Thresholds(min_cases=3000, qr_max_unit_price=500)
MATERIAL_EXCLUSIONS = [
    Exclusion("x01", "複写機等使用徴収金", "3,000件以上でも対象外とする。"),
    Exclusion("x02", "収入印紙売りさばき収入金", "3,000件以上でも対象外とする。"),
    Exclusion(
        "x03", "斎場使用料", "特定の事業者のみが利用する斎場使用料などは、3,000件以上でも対象外とする。"
    ),
]


def rec(name="市税証明手数料", cases=None, amount=None, **kw) -> Receivable:
    return Receivable(
        id=kw.pop("id", "t1"),
        name=name,
        channel=kw.pop("channel", Channel.COUNTER),
        annual_cases=cases,
        annual_amount=amount,
        **kw,
    )


def test_3000_cases_or_more_is_a_target_and_the_rule_says_why():
    c = classify(rec(cases=3000, amount=3_000_000), T, MATERIAL_EXCLUSIONS)
    assert c.policy_class is PolicyClass.TARGET
    assert "年間3,000件（3,000件以上）" in c.rule and "平均単価 1,000円" in c.rule


def test_the_threshold_is_a_setting():
    assert (
        classify(rec(cases=2500, amount=2_500_000), Thresholds(min_cases=2000), []).policy_class
        is PolicyClass.TARGET
    )
    assert classify(rec(cases=2500, amount=2_500_000), T, []).policy_class is PolicyClass.QR


def test_few_cases_get_qr_payment():
    c = classify(rec(cases=2999, amount=29_990_000), T, [])
    assert c.policy_class is PolicyClass.QR and "件数が少ない" in c.rule and "月額固定費が不要" in c.rule


def test_a_low_unit_price_gets_qr_payment_even_with_many_cases():
    c = classify(rec(cases=10_000, amount=2_000_000), T, [])  # 200円
    assert c.policy_class is PolicyClass.QR and "平均単価 200円" in c.rule and "500円未満" in c.rule


@pytest.mark.parametrize(
    ("name", "keyword"),
    [
        ("複写機等使用徴収金（中央図書館）", "複写機等使用徴収金"),
        ("収入印紙売りさばき収入金", "収入印紙売りさばき収入金"),
        ("斎場使用料（特定の事業者のみ利用）", "斎場使用料"),
    ],
)
def test_each_exclusion_of_the_material_wins_over_the_case_count(name, keyword):
    c = classify(rec(name, cases=50_000, amount=900_000_000), T, MATERIAL_EXCLUSIONS)
    assert (
        c.policy_class is PolicyClass.EXCLUDED and c.exclusion is not None and c.exclusion.keyword == keyword
    )
    assert keyword in c.rule and "対象外" in c.rule


def test_an_added_exclusion_is_data_with_its_reason():
    extra = Exclusion("x99", "公金立替", "民間の立替払いのため")
    c = classify(rec("公金立替収入", cases=9000, amount=9_000_000), T, [*MATERIAL_EXCLUSIONS, extra])
    assert c.policy_class is PolicyClass.EXCLUDED and "民間の立替払いのため" in c.rule


def test_missing_cases_stay_missing_the_material_listing_decides_or_it_is_undetermined():
    listed = classify(rec("介護保険料", listed=True), T, MATERIAL_EXCLUSIONS)
    assert listed.policy_class is PolicyClass.TARGET and "会議資料" in listed.rule and "未入力" in listed.rule
    done = classify(rec("スポーツ施設", status=Rollout.DONE, introduced="R4"), T, [])
    assert done.policy_class is PolicyClass.INTRODUCED and "R4に導入済み" in done.rule
    assert classify(rec("新しい債権"), T, []).policy_class is PolicyClass.UNDETERMINED


def test_coverage_on_a_synthetic_registry_meets_the_96_percent_claim():
    # Targets (3,000 cases or more): 960 million yen; the rest: 40 million yen → exactly 96.0%
    registry = [
        rec(id="a", cases=200_000, amount=600_000_000),
        rec(id="b", cases=50_000, amount=300_000_000),
        rec(id="c", cases=3000, amount=60_000_000),
        rec(id="d", cases=2999, amount=20_000_000),  # QR: few cases
        rec(id="e", cases=800, amount=12_000_000),  # QR
        rec("複写機等使用徴収金", id="f", cases=40_000, amount=8_000_000),  # excluded: part of the total
    ]
    result = coverage(registry, T, MATERIAL_EXCLUSIONS)
    assert (result.covered_amount, result.total_amount) == (960_000_000, 1_000_000_000)
    assert result.share == pytest.approx(0.96) and result.meets_claim is True
    assert (result.counted, result.missing, result.excluded_from_total) == (6, 0, 1)


def test_coverage_leaves_out_receivables_with_missing_figures_and_counts_them():
    registry = [
        rec(id="a", cases=10_000, amount=90_000_000),
        rec(id="b", cases=100, amount=10_000_000),
        rec("介護保険料", id="c", listed=True),  # a target on the material's word, but no amount
        rec(id="d", cases=5000),  # cases without an amount
        rec(id="e", amount=1_000_000),  # an amount without cases
    ]
    result = coverage(registry, T, [])
    assert (result.covered_amount, result.total_amount, result.counted, result.missing) == (
        90_000_000,
        100_000_000,
        2,
        3,
    )
    assert result.share == pytest.approx(0.90) and result.meets_claim is False


def test_coverage_of_an_empty_registry_is_unknown_not_zero():
    result = coverage([rec(listed=True)], T, [])
    assert result.share is None and result.meets_claim is None and result.missing == 1


def test_rollout_moves_forward_freely_back_only_with_a_reason_and_planned_needs_a_date():
    target = PolicyClass.TARGET
    assert transition_problem(Rollout.NOT_STARTED, Rollout.ADJUSTING, None, "", target) is None
    assert transition_problem(Rollout.NOT_STARTED, Rollout.PLANNED, date(2024, 4, 1), "", target) is None
    assert "導入予定日" in transition_problem(Rollout.ADJUSTING, Rollout.PLANNED, None, "", target)
    assert "理由" in transition_problem(Rollout.PLANNED, Rollout.ADJUSTING, None, "", target)
    assert (
        transition_problem(Rollout.PLANNED, Rollout.ADJUSTING, None, "事業者の選定が遅れたため", target)
        is None
    )
    assert "対象外" in transition_problem(
        Rollout.NOT_STARTED, Rollout.ADJUSTING, None, "", PolicyClass.EXCLUDED
    )


@pytest.mark.parametrize(
    ("tender_year", "lead", "expected"),
    [
        (2024, 0, date(2024, 4, 1)),  # R6, no lead: the first day of the fiscal year, a Monday
        (2024, 3, date(2024, 1, 4)),  # 1/1 falls in the year-end break (12/29–1/3): the 4th (Thu)
        (2024, 6, date(2023, 10, 2)),  # 10/1 is a Sunday: Monday the 2nd
        (2025, 0, date(2025, 4, 1)),  # R7: a Tuesday
        (2026, 0, date(2026, 4, 1)),  # R8: a Wednesday
        (2023, 12, date(2022, 4, 1)),  # a whole year ahead: R5's reminder in R4's first days (a Friday)
        (2025, 1, date(2025, 3, 3)),  # 3/1 is a Saturday: Monday the 3rd, still in the previous fiscal year
    ],
)
def test_switching_year_reminders_fall_on_business_days_around_the_fiscal_year_boundary(
    tender_year, lead, expected
):
    day = tender_reminder_day(tender_year, lead)
    assert day == expected and is_business_day(day)


def test_the_reminder_is_due_from_its_day_to_the_end_of_the_tender_year_unless_introduced():
    hotei = rec("布袋温泉", channel=Channel.DESIGNATED, tender_year=2024)
    assert tender_reminder_due(hotei, date(2023, 9, 29), 6) is None
    assert tender_reminder_due(hotei, date(2023, 10, 2), 6) == date(2023, 10, 2)
    assert tender_reminder_due(hotei, date(2025, 3, 31), 6) == date(2023, 10, 2)
    assert tender_reminder_due(hotei, date(2025, 4, 1), 6) is None  # the 公募 year is over
    done = rec("布袋温泉", channel=Channel.DESIGNATED, tender_year=2024, status=Rollout.DONE)
    assert tender_reminder_due(done, date(2023, 10, 2), 6) is None


def test_a_late_alert_comes_on_the_first_business_day_after_the_planned_date():
    assert late_alert_day(date(2024, 3, 29)) == date(2024, 4, 1)  # Fri → Mon, across the fiscal year
    assert late_alert_day(date(2023, 12, 28)) == date(2024, 1, 4)  # across the year-end break


def test_the_settings_carry_the_thresholds_lead_time_and_goals_and_refuse_bad_values():
    from services.kernel.settings import Settings, SettingsError

    default = Settings.from_env({})
    assert (
        default.cashless_target_min_cases,
        default.cashless_qr_max_unit_price,
        default.cashless_tender_lead_months,
        default.cashless_goal_2025_percent,
        default.cashless_goal_2030_percent,
    ) == (3000, 500, 6, 40, 65)
    custom = Settings.from_env({"CASHLESS_TARGET_MIN_CASES": "5000", "CASHLESS_TENDER_LEAD_MONTHS": "3"})
    assert (custom.cashless_target_min_cases, custom.cashless_tender_lead_months) == (5000, 3)
    for name, value in (
        ("CASHLESS_TARGET_MIN_CASES", "0"),
        ("CASHLESS_TENDER_LEAD_MONTHS", "25"),
        ("CASHLESS_GOAL_2030_PERCENT", "101"),
        ("CASHLESS_QR_MAX_UNIT_PRICE", "安い"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})
