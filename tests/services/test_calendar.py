from datetime import date

import pytest

from services.kernel.calendar import (
    DateParseError,
    FiscalQuarter,
    add_business_days,
    business_days_between,
    is_business_day,
    next_business_day,
    parse_japanese_date,
)


@pytest.mark.parametrize(
    ("day", "fy", "q"),
    [
        (date(2023, 4, 1), 2023, 1),
        (date(2023, 6, 30), 2023, 1),
        (date(2023, 7, 1), 2023, 2),
        (date(2023, 12, 31), 2023, 3),
        (date(2024, 1, 1), 2023, 4),
        (date(2024, 3, 31), 2023, 4),
    ],
)
def test_fiscal_quarter_of(day, fy, q):
    assert FiscalQuarter.of(day) == FiscalQuarter(fy, q)


def test_quarter_bounds_labels_and_year_boundary():
    q4 = FiscalQuarter(2023, 4)
    assert (q4.start, q4.end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert q4.next() == FiscalQuarter(2024, 1) and FiscalQuarter(2024, 1).previous() == q4
    assert FiscalQuarter(2023, 1).label == "令和5年度 第1四半期"
    assert FiscalQuarter(2026, 3).label == "令和8年度 第3四半期"
    assert FiscalQuarter(2019, 2).label == "令和元年度 第2四半期"
    assert FiscalQuarter(2023, 3).months_label == "10～12月"
    assert FiscalQuarter.from_key(q4.key) == q4 and sorted([q4, FiscalQuarter(2023, 1)])[0].quarter == 1


def test_business_days_golden_week_2026():
    # 2026: 4/29 (Wed) 昭和の日, 5/3 (Sun) 憲法記念日, 5/4 みどりの日, 5/5 こどもの日, 5/6 振替休日
    assert not is_business_day(date(2026, 4, 29))
    assert not is_business_day(date(2026, 5, 6))  # substitute holiday for 5/3
    assert is_business_day(date(2026, 5, 7))
    assert add_business_days(date(2026, 5, 1), 1) == date(2026, 5, 7)


def test_year_end_break_and_new_year():
    for day in (date(2026, 12, 29), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 3)):
        assert not is_business_day(day)
    assert next_business_day(date(2026, 12, 28)) == date(2026, 12, 28)
    assert next_business_day(date(2026, 12, 29)) == date(2027, 1, 4)
    assert add_business_days(date(2026, 12, 28), 1) == date(2027, 1, 4)


def test_business_days_after_a_quarter_end():
    # Q1 of FY2023 ends Fri 2023-06-30; 5 business days later is Fri 2023-07-07
    assert add_business_days(date(2023, 6, 30), 5) == date(2023, 7, 7)
    assert business_days_between(date(2023, 6, 30), date(2023, 7, 7)) == 5
    # Q3 ends 2023-12-31 (break): 1 business day later is 2024-01-04
    assert add_business_days(date(2023, 12, 31), 1) == date(2024, 1, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-04-01", date(2023, 4, 1)),
        ("2023/4/1", date(2023, 4, 1)),
        ("2023年4月1日", date(2023, 4, 1)),
        ("令和5年4月1日", date(2023, 4, 1)),
        ("R5.4.1", date(2023, 4, 1)),
        ("r5.4.1", date(2023, 4, 1)),
        ("昭和45年3月1日", date(1970, 3, 1)),
        ("S45.3.1", date(1970, 3, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("Ｒ５．４．１", date(2023, 4, 1)),
        ("平成元年1月8日", date(1989, 1, 8)),
    ],
)
def test_parse_japanese_dates(text, expected):
    assert parse_japanese_date(text) == expected


@pytest.mark.parametrize("text", ["", "あした", "2023-02-30", "R5.13.1", "平成元年1月7日", "令和元年4月30日"])
def test_bad_dates_are_refused_in_japanese(text):
    with pytest.raises(DateParseError) as error:
        parse_japanese_date(text)
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in str(error.value))
