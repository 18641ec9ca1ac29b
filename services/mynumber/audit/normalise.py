"""Japanese normalisation of the four basic items, as vectorised polars expressions.

Both sides of the audit (the business records and the resident registry) go through the same
expressions; the raw values are kept beside the normalised ones. Every rule runs in polars' Rust
string kernels (NFKC, ``replace_many``, regex replace), never per string in Python: the audit of a
city's registry is about a million rows on each side (``bench/audit.py``).

- **Names** (氏名): NFKC (full-/half-width, compatibility ideographs), spaces removed, variant kanji
  (異体字・旧字: 髙→高, 﨑→崎, 邊/邉→辺 …) mapped to their standard form. The table is data
  (``data/mynumber_variant_kanji.csv``), so the office can extend it. Surname and given name are
  split at the first space of the raw value, when there is one.
- **Kana** (氏名カナ): NFKC (half-width kana composed with their voiced marks), hiragana to katakana,
  small kana to large, spaces and middle dots removed.
- **Addresses** (住所): NFKC, spaces removed, the 大阪府 and 堺市 prefixes dropped, ヶ/ヵ → ケ,
  kanji numerals to digits, 丁目/番地/番/号/の between numbers to ``-``, every dash-like character
  after a digit to the ASCII hyphen. No rule turns a hyphen into the long-vowel mark ``ー``.
- **Dates** (生年月日): ISO, slashes, dots, ``YYYYMMDD``, 年月日, and 和暦 (明治…令和 or M/T/S/H/R,
  元年) to an integer ``YYYYMMDD``; anything else is null.
- **Sex** (性別): 男/男性/1/M → 1, 女/女性/2/F → 2, else null.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import polars as pl

DEFAULT_VARIANTS_FILE = Path(__file__).resolve().parents[3] / "data" / "mynumber_variant_kanji.csv"

# hiragana U+3041–U+3096 and katakana U+30A1–U+30F6, code point for code point
_HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))
_KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7))
_SMALL_TO_LARGE = {
    "ァ": "ア",
    "ィ": "イ",
    "ゥ": "ウ",
    "ェ": "エ",
    "ォ": "オ",
    "ッ": "ツ",
    "ャ": "ヤ",
    "ュ": "ユ",
    "ョ": "ヨ",
    "ヮ": "ワ",
    "ヵ": "カ",
    "ヶ": "ケ",
}
_ERAS = {
    "明治": 1867,
    "M": 1867,
    "大正": 1911,
    "T": 1911,
    "昭和": 1925,
    "S": 1925,
    "平成": 1988,
    "H": 1988,
    "令和": 2018,
    "R": 2018,
}
_SEX = {"男": 1, "男性": 1, "1": 1, "M": 1, "MALE": 1, "女": 2, "女性": 2, "2": 2, "F": 2, "FEMALE": 2}


@lru_cache(maxsize=4)
def variant_table(path: Path = DEFAULT_VARIANTS_FILE) -> dict[str, str]:
    """异体字 → standard form, from the office's CSV (header: 異体字,標準字,注記)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    table: dict[str, str] = {}
    for row in rows:
        variant, standard = (row.get("異体字") or "").strip(), (row.get("標準字") or "").strip()
        if variant and standard and variant != standard:
            table[variant] = standard
    return table


def _nfkc(expr: pl.Expr) -> pl.Expr:
    # spacing voiced marks (゛゜) become combining ones first, so NFKC composes カ゛ into ガ
    return expr.str.replace_many({"\u309b": "\u3099", "\u309c": "\u309a"}).str.normalize("NFKC")


def _no_spaces(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s+", "")


def _kanji_numbers() -> dict[str, str]:
    """二十三 → 23 … 一 → 1 (1–99), longest first, for one leftmost Aho-Corasick pass."""
    digits = "一二三四五六七八九"
    table: dict[str, str] = {}
    for n in range(99, 0, -1):
        tens, ones = divmod(n, 10)
        text = (
            ("" if tens <= 1 else digits[tens - 1])
            + ("十" if tens else "")
            + (digits[ones - 1] if ones else "")
        )
        table[text] = str(n)
    table["〇"] = "0"
    return dict(sorted(table.items(), key=lambda item: -len(item[0])))


_NAME_SPACES = {" ": "", "\t": ""}
_KANA_TABLE = {h: _SMALL_TO_LARGE.get(k, k) for h, k in zip(_HIRAGANA, _KATAKANA, strict=True)}
_KANA_TABLE.update(_SMALL_TO_LARGE)
_KANA_TABLE.update({" ": "", "\t": "", "・": "", ".": ""})
# One pass over an address (after NFKC): spaces out, ヶ/ヵ → ケ, kanji numerals to digits, the
# 丁目/番地/番/号/の markers and every dash-like character to "-". The long-vowel mark ー becomes
# "-" (both sides alike); nothing ever becomes ー.
_ADDRESS_TABLE = {
    " ": "",
    "\t": "",
    "ヶ": "ケ",
    "ヵ": "ケ",
    **_kanji_numbers(),
    "丁目": "-",
    "番地": "-",
    "番": "-",
    "号": "-",
    "の": "-",
    **{d: "-" for d in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u2500\u2501"},
}
_ADDRESS_TABLE = dict(sorted(_ADDRESS_TABLE.items(), key=lambda item: -len(item[0])))


def name(expr: pl.Expr, variants: dict[str, str]) -> pl.Expr:
    return _nfkc(expr.fill_null("")).str.replace_many({**variants, **_NAME_SPACES}, leftmost=True)


def kana(expr: pl.Expr) -> pl.Expr:
    return _nfkc(expr.fill_null("")).str.replace_many(_KANA_TABLE, leftmost=True)


def split_name(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(surname, given name) of the raw value split at its first space; both empty when it has none."""
    text = _nfkc(expr.fill_null("")).str.strip_chars()
    parts = text.str.splitn(" ", 2).struct
    has_space = text.str.contains(" ", literal=True)
    surname = pl.when(has_space).then(parts.field("field_0")).otherwise(pl.lit(""))
    given = pl.when(has_space).then(_no_spaces(parts.field("field_1").fill_null(""))).otherwise(pl.lit(""))
    return surname, given


def address(expr: pl.Expr) -> pl.Expr:
    out = expr.fill_null("").str.normalize("NFKC").str.replace_many(_ADDRESS_TABLE, leftmost=True)
    out = out.str.strip_prefix("大阪府").str.strip_prefix("堺市")
    return out.str.replace_all("-{2,}", "-").str.strip_chars("-")


_DATE_PATTERN = (
    r"^(明治|大正|昭和|平成|令和|[MTSHR])?(\d{1,4})[年./-](\d{1,2})[月./-](\d{1,2})日?$"
    r"|^(\d{4})(\d{2})(\d{2})$"
)


def date_parts(expr: pl.Expr) -> pl.Expr:
    """The pieces of a date as a struct (fields "1"–"7"); :func:`date_from_parts` turns them into a date.

    Two steps, so that the regex runs once per value (a struct field read again re-runs it)."""
    text = expr.fill_null("").str.normalize("NFKC").str.replace_all(r"\s+", "")
    return text.str.replace("元年", "1年", literal=True).str.to_uppercase().str.extract_groups(_DATE_PATTERN)


def date_from_parts(parts: pl.Expr) -> pl.Expr:
    """Integer YYYYMMDD from :func:`date_parts`, or null when the value is not a date in a known form."""
    era = parts.struct.field("1").replace_strict(_ERAS, default=0, return_dtype=pl.Int32)
    year_text = parts.struct.field("2")
    year = year_text.cast(pl.Int32, strict=False) + era
    # an era year needs an era; a 西暦 year needs 4 digits
    dotted = pl.when((era > 0) | (year_text.str.len_chars() == 4)).then(
        year * 10000
        + parts.struct.field("3").cast(pl.Int32, strict=False) * 100
        + parts.struct.field("4").cast(pl.Int32, strict=False)
    )
    compact = (
        parts.struct.field("5").cast(pl.Int32, strict=False) * 10000
        + parts.struct.field("6").cast(pl.Int32, strict=False) * 100
        + parts.struct.field("7").cast(pl.Int32, strict=False)
    )
    value = pl.coalesce(dotted, compact)
    month_of = (value // 100) % 100
    day_of = value % 100
    return pl.when((month_of >= 1) & (month_of <= 12) & (day_of >= 1) & (day_of <= 31)).then(value)


def birth_date(expr: pl.Expr) -> pl.Expr:
    """Integer YYYYMMDD (for a single expression; frames use the two steps)."""
    return date_from_parts(date_parts(expr))


def sex(expr: pl.Expr) -> pl.Expr:
    text = _no_spaces(_nfkc(expr.fill_null(""))).str.to_uppercase()
    return text.replace_strict(_SEX, default=None, return_dtype=pl.Int8)


_NUMBER_TABLE = {
    **{chr(0xFF10 + d): str(d) for d in range(10)},
    **{c: "" for c in " \t\u3000-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u30fc\uff70"},
}


def my_number_digits(expr: pl.Expr) -> pl.Expr:
    """The number with full-width digits made ASCII and spaces and dashes removed (one pass); any
    other character stays, so the check-digit test fails. Kept only in memory, never stored."""
    return expr.fill_null("").str.replace_many(_NUMBER_TABLE)


def check_digit_ok(digits: pl.Expr) -> pl.Expr:
    """True when ``digits`` is 12 digits whose last is the check digit of the first 11 (DESIGN §8)."""
    value = digits.cast(pl.Int64, strict=False)
    weights = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    total = pl.lit(0, dtype=pl.Int64)
    for position, weight in enumerate(weights):
        total = total + (value // 10 ** (11 - position)) % 10 * weight
    remainder = total % 11
    expected = pl.when(remainder <= 1).then(0).otherwise(11 - remainder)
    return ((digits.str.len_chars() == 12) & ((value % 10) == expected)).fill_null(False)


# Which normalised columns each side needs, computed once per distinct raw value: a city's
# registry repeats names, kana, birth dates and addresses many times over.
_PLAN: dict[str, dict[str, list[tuple[str, object]]]] = {
    "records": {
        "name": [("name_n", "name")],
        "kana": [("kana_n", "kana")],
        "birth": [("birth_n", "birth")],
        "sex": [("sex_n", "sex")],
        "address": [("address_n", "address")],
    },
    "registry": {
        "name": [("name_n", "name")],
        "kana": [("kana_n", "kana")],
        "birth": [("birth_n", "birth")],
        "sex": [("sex_n", "sex")],
        "address": [("address_n", "address")],
    },
}


def _expression(kind: str, column: str, variants: dict[str, str]) -> pl.Expr:
    col = pl.col(column)
    if kind == "name":
        return name(col, variants)
    if kind == "given":
        return name(split_name(col)[1], variants)
    if kind == "kana":
        return kana(col)
    if kind == "kana_given":
        return kana(split_name(col)[1])
    if kind == "sex":
        return sex(col)
    if kind == "address":
        return address(col)
    raise ValueError(kind)


def normalise_frame(frame: pl.DataFrame, variants: dict[str, str], side: str) -> pl.DataFrame:
    """``frame`` (mapped raw columns) with its normalised columns and ``digits``/``cd_ok``.

    Each text column is normalised over its distinct values and joined back, which is several
    times faster than normalising every row (the rules stay the same)."""
    text_columns = ("number", "name", "kana", "birth", "sex", "address", "status")
    frame = frame.with_columns(pl.col(c).fill_null("") for c in text_columns)
    distinct_share = frame.select(pl.col(c).approx_n_unique() for c in _PLAN[side]).row(0)
    direct: list[pl.Expr] = []
    for (column, outputs), distinct_count in zip(_PLAN[side].items(), distinct_share, strict=True):
        if distinct_count > 0.3 * max(
            frame.height, 1
        ):  # mostly distinct: mapping would cost more than it saves
            direct += _column_expressions(column, outputs, variants)
            continue
        distinct = frame.select(pl.col(column).unique()).lazy()
        if column == "birth":
            distinct = distinct.with_columns(date_parts(pl.col("birth")).alias("_parts"))
        distinct = distinct.with_columns(_column_expressions(column, outputs, variants)).select(
            column, *[out for out, _ in outputs]
        )
        mapped = distinct.collect(engine="in-memory")
        # map each row's value to its normalised forms: only the new columns are built (a join
        # would copy every column of the frame)
        frame = frame.with_columns(
            pl.col(column).replace_strict(mapped[column], mapped[out], default=None).alias(out)
            for out, _ in outputs
        )
    if any(column == "birth" for column, _ in _PLAN[side].items()) and "birth_n" not in frame.columns:
        frame = frame.with_columns(date_parts(pl.col("birth")).alias("_parts"))
    return (
        frame.lazy()
        .with_columns(*direct, my_number_digits(pl.col("number")).alias("digits"))
        .with_columns(check_digit_ok(pl.col("digits")).alias("cd_ok"))
        .drop("_parts", strict=False)
        .collect()
    )


def _column_expressions(
    column: str, outputs: list[tuple[str, object]], variants: dict[str, str]
) -> list[pl.Expr]:
    if column == "birth":  # needs the "_parts" column (two steps, see date_parts)
        return [date_from_parts(pl.col("_parts")).alias("birth_n")]
    return [_expression(str(kind), column, variants).alias(out) for out, kind in outputs]
