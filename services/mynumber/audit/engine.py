"""The linkage audit (全データ点検): every business record against the resident registry.

One verdict per business record, in this order of precedence (the first that applies wins):

1. ``BAD_CHECK_DIGIT`` チェックデジット不正: not 12 digits, or the check digit is wrong.
2. ``UNKNOWN`` 個人番号が住基に存在しない.
3. ``MISLINK`` 誤紐付けの疑い: the number belongs to someone else. The birth date or the sex
   differs, or both name forms (kanji and kana) differ, or another resident matches the record's
   items better than the linked one.
4. ``SHARED`` 同一番号が別人の記録に付いている: the same number on records of different people.
5. ``MULTIPLE`` 同一人物に複数の番号: one person (name, birth date, sex, address) under several numbers.
6. ``STATUS`` 住民状態と不整合: the resident has moved out or died while the record is active.
7. ``REVIEW`` 要確認: one item differs in a usually benign way: the surname alone (a likely change
   on marriage), the address alone (a stale address), or the kanji form of the name alone.
8. ``MATCH`` 一致.

For every MISLINK, BAD_CHECK_DIGIT and UNKNOWN record the residents who may be the right person are
ranked: the same normalised name and birth date first (or the same kana and birth date), then sex,
then address. Numbers stay in memory only: the outputs carry masked numbers (``********1234``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import polars as pl

from services.mynumber.audit import normalise

MAX_CANDIDATES = 3
ITEM_LABELS = {"name": "氏名", "kana": "氏名カナ", "birth": "生年月日", "sex": "性別", "address": "住所"}
_INACTIVE_RESIDENT = "転出|死亡|消除|転居済"
_INACTIVE_RECORD = "転出|死亡|消除|廃止|喪失|終了|停止"


class Verdict(enum.StrEnum):
    BAD_CHECK_DIGIT = "チェックデジット不正"
    UNKNOWN = "個人番号が住基に存在しない"
    MISLINK = "誤紐付けの疑い"
    SHARED = "同一番号が別人の記録に付いている"
    MULTIPLE = "同一人物に複数の番号"
    STATUS = "住民状態と不整合"
    REVIEW = "要確認"
    MATCH = "一致"


WRONG_NUMBER = (Verdict.MISLINK, Verdict.BAD_CHECK_DIGIT, Verdict.UNKNOWN)


@dataclass(frozen=True)
class AuditResult:
    """``records``: one row per business record (input order) with its verdict, the items that
    differ, and the raw and normalised values of both sides; ``candidates``: up to three ranked
    residents for each record whose number is wrong. Neither holds a number in clear."""

    records: pl.DataFrame
    candidates: pl.DataFrame
    registry_rows: int
    _rec: pl.DataFrame = field(repr=False, default_factory=pl.DataFrame)
    _reg: pl.DataFrame = field(repr=False, default_factory=pl.DataFrame)

    def details(self, verdicts: tuple[Verdict, ...]) -> pl.DataFrame:
        """The records with these verdicts, with the raw and normalised items of both sides (the
        record's and the linked resident's), in input order. No number in clear."""
        picked = self.records.filter(pl.col("verdict").is_in([v.value for v in verdicts]))
        mine = self._rec.select("row", *_RAW, *_MATCH_COLUMNS)
        theirs = self._reg.select(
            pl.col("reg_row").alias("r_reg_row"),
            *[pl.col(c).alias(f"r_{c}") for c in _RAW],
            *[pl.col(c).alias(f"r_{c}") for c in _MATCH_COLUMNS],
        )
        return picked.join(mine, on="row", how="left", maintain_order="left").join(
            theirs, on="r_reg_row", how="left", maintain_order="left"
        )

    def counts(self) -> dict[Verdict, int]:
        found = dict(self.records.group_by("verdict").len().iter_rows())
        return {v: int(found.get(str(v), 0)) for v in Verdict}


def _masked(digits: pl.Expr) -> pl.Expr:
    return (
        pl.when(digits.str.len_chars() >= 4)
        .then(pl.lit("********") + digits.str.slice(-4))
        .otherwise(pl.lit("********"))
    )


def _eq(left: str, right: str) -> pl.Expr:
    return (pl.col(left) == pl.col(right)).fill_null(False)


def _kana_eq(left: str, right: str) -> pl.Expr:
    """Kana compare only when both sides have one; a missing kana never counts as a difference."""
    return ((pl.col(left) == pl.col(right)) | (pl.col(left) == "") | (pl.col(right) == "")).fill_null(True)


def prepare(frame: pl.DataFrame, variants: dict[str, str], side: str) -> pl.DataFrame:
    """The mapped frame with its normalised columns (``side`` is ``records`` or ``registry``)."""
    out = normalise.normalise_frame(frame, variants, side)
    if side == "records":
        return out.with_row_index("row").with_columns(
            pl.col("status").str.contains(_INACTIVE_RECORD).not_().alias("active")
        )
    return out.with_row_index("reg_row").with_columns(
        pl.col("status").str.contains(_INACTIVE_RESIDENT).alias("moved_or_died")
    )


def audit(
    records: pl.DataFrame, registry: pl.DataFrame, variants: dict[str, str] | None = None
) -> AuditResult:
    """Audit mapped ``records`` (fields of :mod:`reader`) against the mapped ``registry``."""
    variants = normalise.variant_table() if variants is None else variants
    rec = prepare(records, variants, "records")
    reg = prepare(registry, variants, "registry")
    return audit_prepared(rec, reg, variants)


_ITEMS = ("name", "kana", "birth", "sex", "address")
_MATCH_COLUMNS = ["name_n", "kana_n", "birth_n", "sex_n", "address_n"]
_RAW = ("name", "kana", "birth", "sex", "address", "status")


def _number(digits: pl.Expr) -> pl.Expr:
    """The number as an integer join key (null unless 12 digits); never leaves memory."""
    return pl.when(digits.str.len_chars() == 12).then(digits.cast(pl.Int64, strict=False))


def audit_prepared(
    rec: pl.DataFrame, reg: pl.DataFrame, variants: dict[str, str] | None = None
) -> AuditResult:
    """The engine on prepared frames. Matching works on the few columns it compares, with integer
    and hashed keys; the raw values are gathered back only for the records a person must look at."""
    # Eager steps on narrow frames: a lazy plan that reads ``joined`` several times keeps copies of
    # it alive (peak memory), and membership tests (``is_in``) replace joins that would copy it.
    left = rec.select("row", _number(pl.col("digits")).alias("num"), "cd_ok", "active", *_MATCH_COLUMNS)
    right = reg.select(
        pl.col("reg_row").alias("r_reg_row"),
        _number(pl.col("digits")).alias("num"),
        *[pl.col(c).alias(f"r_{c}") for c in (*_MATCH_COLUMNS, "moved_or_died")],
    ).filter(pl.col("num").is_not_null())
    if right["num"].is_duplicated().any():  # a registry lists each number once; keep one if not
        right = right.unique("num", keep="first", maintain_order=True)
    joined = left.join(right, on="num", how="left").with_columns(
        pl.col("r_reg_row").is_not_null().alias("found")
    )

    name_eq, kana_eq = _eq("name_n", "r_name_n"), _kana_eq("kana_n", "r_kana_n")
    birth_eq, sex_eq, addr_eq = (
        _eq("birth_n", "r_birth_n"),
        _eq("sex_n", "r_sex_n"),
        _eq("address_n", "r_address_n"),
    )
    surname_change = pl.col("row").is_in(
        _surname_changes(joined.filter(~name_eq & birth_eq & sex_eq), reg, variants).implode()
    )
    joined = joined.with_columns(
        name_eq.alias("name_eq"),
        kana_eq.alias("kana_eq"),
        birth_eq.alias("birth_eq"),
        sex_eq.alias("sex_eq"),
        addr_eq.alias("address_eq"),
        surname_change.alias("surname_change"),
        (  # a likely surname change counts as a name match: a namesake of the old name is no better
            birth_eq.cast(pl.Int32) * 16
            + (name_eq | surname_change).cast(pl.Int32) * 8
            + sex_eq.cast(pl.Int32) * 4
            + addr_eq.cast(pl.Int32) * 2
            + kana_eq.cast(pl.Int32)
        ).alias("linked_score"),
        pl.struct("name_n", "birth_n").hash().alias("person"),
        pl.struct("name_n", "birth_n", "sex_n", "address_n").hash().alias("person4"),
    )
    # the same number on records of different people; one person under several numbers
    numbered = joined.filter(pl.col("num").is_not_null() & pl.col("cd_ok")).select(
        "num", "person", "person4", "name_n"
    )
    shared = (
        numbered.group_by("num").agg(pl.col("person").n_unique().alias("people")).filter(pl.col("people") > 1)
    )["num"]
    multiple = (
        numbered.filter(pl.col("name_n") != "")
        .group_by("person4")
        .agg(pl.col("num").n_unique().alias("numbers"))
        .filter(pl.col("numbers") > 1)
    )["person4"]
    del numbered
    joined = joined.with_columns(
        pl.col("num").is_in(shared.implode()).fill_null(False).alias("shared"),
        pl.col("person4").is_in(multiple.implode()).alias("multiple"),
    )

    candidates = _candidates(joined, reg)
    better = candidates.filter(pl.col("beats_linked"))["row"].unique()
    joined = joined.with_columns(pl.col("row").is_in(better.implode()).alias("better"))

    items_mislink = (
        ~pl.col("birth_eq")
        | ~pl.col("sex_eq")
        | (
            ~pl.col("name_eq")
            & ~_eq("kana_n", "r_kana_n")
            & ~pl.col("surname_change")
            & (pl.col("kana_n") != "")
            & (pl.col("r_kana_n") != "")
        )
    )
    status = pl.col("r_moved_or_died").fill_null(False) & pl.col("active")
    verdict = (
        pl.when(~pl.col("cd_ok"))
        .then(pl.lit(Verdict.BAD_CHECK_DIGIT.value))
        .when(~pl.col("found"))
        .then(pl.lit(Verdict.UNKNOWN.value))
        .when(items_mislink | pl.col("better"))
        .then(pl.lit(Verdict.MISLINK.value))
        .when(pl.col("shared"))
        .then(pl.lit(Verdict.SHARED.value))
        .when(pl.col("multiple"))
        .then(pl.lit(Verdict.MULTIPLE.value))
        .when(status)
        .then(pl.lit(Verdict.STATUS.value))
        .when(~pl.col("name_eq") | ~pl.col("address_eq") | ~pl.col("kana_eq"))
        .then(pl.lit(Verdict.REVIEW.value))
        .otherwise(pl.lit(Verdict.MATCH.value))
    )
    differs = pl.concat_str(
        [pl.when(pl.col("found") & ~pl.col(f"{item}_eq")).then(pl.lit(ITEM_LABELS[item])) for item in _ITEMS],
        separator="・",
        ignore_nulls=True,
    )
    note = (
        pl.when(~pl.col("cd_ok") & pl.col("num").is_null())
        .then(pl.lit("12桁ではありません"))
        .when(~pl.col("cd_ok"))
        .then(pl.lit("チェックデジットが合いません"))
        .when(pl.col("better"))
        .then(pl.lit("ほかの住民の方が4情報に一致します"))
        .when(pl.col("surname_change"))
        .then(pl.lit("姓だけが異なります（婚姻等による氏の変更の可能性）"))
        .when(status)
        .then(pl.lit("住基では転出・死亡等です"))
        .otherwise(pl.lit(""))
    )
    verdicts = joined.select(
        "row",
        "r_reg_row",
        verdict.alias("verdict"),
        differs.fill_null("").alias("differs"),
        note.alias("note"),
    ).sort("row")
    del joined
    out = rec.select("row", "record_id", _masked(pl.col("digits")).alias("number_masked")).join(
        verdicts, on="row", how="left", maintain_order="left"
    )
    wrong = out.filter(pl.col("verdict").is_in([v.value for v in WRONG_NUMBER])).select("row")
    ranked = candidates.join(wrong, on="row", how="semi").select(
        "row",
        "rank",
        "reg_row",
        "candidate_masked",
        "c_name",
        "c_kana",
        "c_birth",
        "c_sex",
        "c_address",
        "reason",
    )
    return AuditResult(records=out, candidates=ranked, registry_rows=reg.height, _rec=rec, _reg=reg)


def _surname_changes(linked: pl.DataFrame, reg: pl.DataFrame, variants: dict[str, str] | None) -> pl.Series:
    """Rows of ``linked`` (name differs, birth date and sex match) whose name ends with the linked
    resident's given name, kanji and kana: a likely surname change. The registry's split tells the
    given name even when the record's name has no space in it. Computed for these few rows only."""
    variants = normalise.variant_table() if variants is None else variants
    if linked.height == 0:
        return pl.Series("row", [], dtype=pl.UInt32)
    theirs = reg.select(pl.col("reg_row").alias("r_reg_row"), "name", "kana").join(
        linked.select("r_reg_row").unique(), on="r_reg_row", how="semi"
    )
    theirs = theirs.select(
        "r_reg_row",
        normalise.name(normalise.split_name(pl.col("name"))[1], variants).alias("r_given_n"),
        normalise.kana(normalise.split_name(pl.col("kana"))[1]).alias("r_kana_given_n"),
    )
    pairs = linked.select("row", "name_n", "kana_n", "r_reg_row").join(theirs, on="r_reg_row", how="left")
    given_same = (pl.col("r_given_n") != "") & pl.col("name_n").str.ends_with(pl.col("r_given_n")).fill_null(
        False
    )
    kana_given_same = (
        (pl.col("kana_n") == "")
        | (pl.col("r_kana_given_n") == "")
        | pl.col("kana_n").str.ends_with(pl.col("r_kana_given_n"))
    ).fill_null(False)
    return pairs.filter(given_same & kana_given_same)["row"]


def _candidates(joined: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """Ranked residents for every record that is not a clean match (small: a few per cent)."""
    suspects = joined.filter(~pl.col("cd_ok") | ~pl.col("found") | (pl.col("linked_score") < 31)).select(
        "row", "num", "name_n", "kana_n", "birth_n", "sex_n", "address_n", "linked_score", "cd_ok", "found"
    )
    residents = reg.select(
        "reg_row", pl.col("name_n").alias("c_name_n"), pl.col("kana_n").alias("c_kana_n"), pl.col("birth_n")
    )
    by_name = suspects.filter(pl.col("name_n") != "").join(
        residents, left_on=["name_n", "birth_n"], right_on=["c_name_n", "birth_n"], how="inner"
    )
    by_kana = suspects.filter(pl.col("kana_n") != "").join(
        residents, left_on=["kana_n", "birth_n"], right_on=["c_kana_n", "birth_n"], how="inner"
    )
    columns = [
        "row",
        "num",
        "linked_score",
        "cd_ok",
        "found",
        "name_n",
        "kana_n",
        "sex_n",
        "address_n",
        "reg_row",
    ]
    both = pl.concat([by_name.select(columns), by_kana.select(columns)]).unique(
        ["row", "reg_row"], keep="any"
    )
    # the residents' other values, for the few pairs found
    found = reg.join(both.select("reg_row").unique(), on="reg_row", how="semi")
    both = both.join(
        found.select(
            "reg_row",
            _number(pl.col("digits")).alias("c_num"),
            pl.col("name").alias("c_name"),
            pl.col("kana").alias("c_kana"),
            pl.col("birth").alias("c_birth"),
            pl.col("sex").alias("c_sex"),
            pl.col("address").alias("c_address"),
            pl.col("name_n").alias("c_name_n"),
            pl.col("kana_n").alias("c_kana_n"),
            pl.col("sex_n").alias("c_sex_n"),
            pl.col("address_n").alias("c_address_n"),
            _masked(pl.col("digits")).alias("candidate_masked"),
        ),
        on="reg_row",
        how="left",
    )
    both = both.filter(pl.col("num").is_null() | (pl.col("c_num") != pl.col("num")))
    c_name_eq, c_kana_eq = _eq("name_n", "c_name_n"), _kana_eq("kana_n", "c_kana_n")
    c_sex_eq, c_addr_eq = _eq("sex_n", "c_sex_n"), _eq("address_n", "c_address_n")
    score = (
        16
        + c_name_eq.cast(pl.Int32) * 8
        + c_sex_eq.cast(pl.Int32) * 4
        + c_addr_eq.cast(pl.Int32) * 2
        + c_kana_eq.cast(pl.Int32)
    )
    reason = pl.concat_str(
        [
            pl.when(c_name_eq).then(pl.lit("氏名")).otherwise(pl.lit("カナ")),
            pl.lit("生年月日"),
            pl.when(c_sex_eq).then(pl.lit("性別")),
            pl.when(c_addr_eq).then(pl.lit("住所")),
        ],
        separator="・",
        ignore_nulls=True,
    ) + pl.lit("が一致")
    both = both.with_columns(score.alias("score"), reason.alias("reason"))
    both = both.with_columns(
        (
            pl.col("found")
            & pl.col("cd_ok")
            & (pl.col("score") > pl.col("linked_score"))
            & c_sex_eq
            & (c_name_eq | c_kana_eq)
        ).alias("beats_linked"),
        pl.col("score").rank("ordinal", descending=True).over("row").alias("rank"),
    ).drop("num", "c_num")
    return both.filter(pl.col("rank") <= MAX_CANDIDATES).sort(["row", "rank"])
