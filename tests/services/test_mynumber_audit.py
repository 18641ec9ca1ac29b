"""The My Number linkage audit: normalisation, verdicts, candidates, inputs, report and privacy."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook, load_workbook

from bench.audit_data import MISLINK_KINDS, generate
from services.kernel.privacy import check_digit, is_valid_my_number
from services.mynumber.audit import __main__ as cli
from services.mynumber.audit import normalise, reader
from services.mynumber.audit.engine import WRONG_NUMBER, Verdict, audit
from services.mynumber.audit.report import ReportSettings, build_report
from services.mynumber.audit.run import audit_files, private_workdir
from tests.support.leakscan import inputs_dir


def number(base11: str) -> str:
    return base11 + str(check_digit(base11))


def one(expr: pl.Expr) -> object:
    return pl.select(expr.alias("x")).item()


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("髙橋　太郎", "高橋太郎"),
        ("ﾀｶﾊｼ", "タカハシ"),
        ("山﨑 花子", "山崎花子"),
        ("渡邊", "渡辺"),
        ("渡邉", "渡辺"),
        ("齋藤", "斎藤"),
        ("齊藤", "斎藤"),
        ("Ｙａｍａｄａ", "Yamada"),
    ],
)
def test_names_are_compared_in_one_form(raw, expected):
    assert one(normalise.name(pl.lit(raw), normalise.variant_table())) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("たかはし たろう", "タカハシタロウ"),
        ("ﾀｶﾊｼ ﾀﾛｳ", "タカハシタロウ"),
        ("ｶﾞｯｺｳ", "ガツコウ"),
        ("カ゛ッコウ", "ガツコウ"),
        ("キョウコ", "キヨウコ"),
        ("きょうこ", "キヨウコ"),
    ],
)
def test_kana_forms_widths_small_kana_and_voiced_marks(raw, expected):
    assert one(normalise.kana(pl.lit(raw))) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "大阪府堺市堺区南瓦町3丁目1番1号",
        "堺市堺区南瓦町3-1-1",
        "堺区南瓦町３－１－１",
        "大阪府堺市 堺区 南瓦町三丁目1番地の1",
        "堺区南瓦町3‐1‐1",
        "堺区南瓦町3ー1ー1",
        "堺区南瓦町3−1−1",
    ],
)
def test_address_forms_meet(raw):
    assert one(normalise.address(pl.lit(raw))) == "堺区南瓦町3-1-1"


def test_kanji_numerals_and_ke():
    assert one(normalise.address(pl.lit("堺市北区霞ヶ丘二十三丁目5番2号"))) == "北区霞ケ丘23-5-2"
    assert one(normalise.address(pl.lit("北区霞ケ丘23-5-2"))) == "北区霞ケ丘23-5-2"


def test_no_rule_turns_an_address_hyphen_into_a_long_vowel_mark():
    for raw in ("１２３－４", "123-4", "１２３‐４", "123−4"):
        out = one(normalise.address(pl.lit(raw)))
        assert out == "123-4" and "ー" not in out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1975-04-01", 19750401),
        ("1975/4/1", 19750401),
        ("19750401", 19750401),
        ("昭和50年4月1日", 19750401),
        ("S50.4.1", 19750401),
        ("Ｓ５０．４．１", 19750401),
        ("令和元年5月1日", 20190501),
        ("R1.5.1", 20190501),
        ("平成31年4月30日", 20190430),
        ("1975年4月1日", 19750401),
        ("50.4.1", None),
        ("1975-13-01", None),
        ("不明", None),
    ],
)
def test_dates_in_western_and_japanese_eras(raw, expected):
    assert one(normalise.birth_date(pl.lit(raw))) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("男", 1), ("男性", 1), ("1", 1), ("M", 1), ("女", 2), ("２", 2), ("f", 2), ("", None), ("不明", None)],
)
def test_sex(raw, expected):
    assert one(normalise.sex(pl.lit(raw))) == expected


def test_the_variant_table_is_data_the_office_can_extend(tmp_path):
    table = tmp_path / "variants.csv"
    table.write_text("異体字,標準字,注記\n德,徳,\n", encoding="utf-8")
    normalise.variant_table.cache_clear()
    try:
        assert normalise.variant_table(table) == {"德": "徳"}
    finally:
        normalise.variant_table.cache_clear()


def test_check_digit_rule_matches_the_kernel():
    good = number("12345678901")
    assert good == "123456789018"
    frame = pl.DataFrame({"d": [good, good[:-1] + "0", good[:11], "abcdefghijkl"]})
    assert frame.select(normalise.check_digit_ok(pl.col("d"))).to_series().to_list() == [
        True,
        False,
        False,
        False,
    ]


# --- verdicts ----------------------------------------------------------------------------------

TARO, HANAKO, JIRO = number("10000000001"), number("10000000002"), number("10000000003")
SABURO, SHIRO, GORO = number("10000000004"), number("10000000005"), number("10000000006")

REGISTRY = pl.DataFrame(
    {
        "number": [TARO, HANAKO, JIRO, SABURO, SHIRO, GORO],
        "name": ["堺 太郎", "堺 花子", "山田 次郎", "鈴木 三郎", "田中 四郎", "中村 五郎"],
        "kana": [
            "サカイ タロウ",
            "サカイ ハナコ",
            "ヤマダ ジロウ",
            "スズキ サブロウ",
            "タナカ シロウ",
            "ナカムラ ゴロウ",
        ],
        "birth": ["1970-01-01", "1972-02-02", "1980-03-03", "1990-04-04", "1960-05-05", "1950-06-06"],
        "sex": ["男", "女", "男", "男", "男", "男"],
        "address": [
            "大阪府堺市堺区南瓦町3丁目1番1号",
            "大阪府堺市堺区南瓦町3丁目1番1号",
            "大阪府堺市北区1丁目2番3号",
            "大阪府堺市西区4丁目5番6号",
            "大阪府堺市東区7丁目8番9号",
            "大阪府堺市南区1丁目1番1号",
        ],
        "status": ["住民", "住民", "住民", "住民", "住民", "死亡"],
    }
)


def records(rows: list[dict[str, str]]) -> pl.DataFrame:
    base = {
        "record_id": "",
        "number": "",
        "name": "",
        "kana": "",
        "birth": "",
        "sex": "",
        "address": "",
        "status": "",
    }
    return pl.DataFrame([{**base, **row} for row in rows])


def verdict_of(row: dict[str, str]) -> tuple[str, str, str]:
    result = audit(records([row]), REGISTRY)
    out = result.records.row(0, named=True)
    return out["verdict"], out["differs"], out["note"]


TARO_RECORD = {
    "record_id": "R1",
    "number": TARO,
    "name": "堺　太郎",
    "kana": "ｻｶｲ ﾀﾛｳ",
    "birth": "昭和45年1月1日",
    "sex": "1",
    "address": "堺区南瓦町３－１－１",
}


def test_a_record_in_other_forms_matches():
    assert verdict_of(TARO_RECORD)[0] == Verdict.MATCH


def test_a_household_members_number_is_a_suspected_mislink():
    verdict, differs, _ = verdict_of({**TARO_RECORD, "number": HANAKO})
    assert verdict == Verdict.MISLINK and "生年月日" in differs and "性別" in differs


def test_a_namesakes_number_with_another_birth_date_is_a_suspected_mislink():
    registry_namesake = {
        **TARO_RECORD,
        "number": JIRO,
        "name": "山田 次郎",
        "kana": "ヤマダ ジロウ",
        "birth": "1981-03-03",
        "address": "堺市北区1-2-3",
    }
    verdict, differs, _ = verdict_of(registry_namesake)
    assert verdict == Verdict.MISLINK and differs == "生年月日"


def test_a_mistyped_digit_breaks_the_check_digit():
    wrong = TARO[:5] + str((int(TARO[5]) + 1) % 10) + TARO[6:]
    assert verdict_of({**TARO_RECORD, "number": wrong})[0] == Verdict.BAD_CHECK_DIGIT
    assert verdict_of({**TARO_RECORD, "number": "1234"})[2] == "12桁ではありません"


def test_a_valid_number_nobody_has_is_unknown():
    assert verdict_of({**TARO_RECORD, "number": number("99999999999")})[0] == Verdict.UNKNOWN


def test_a_surname_change_is_to_be_checked_not_a_mislink():
    verdict, differs, note = verdict_of({**TARO_RECORD, "name": "旧姓太郎", "kana": "キュウセイ タロウ"})
    assert verdict == Verdict.REVIEW and "氏名" in differs and "姓だけ" in note


def test_a_stale_address_is_to_be_checked():
    verdict, differs, _ = verdict_of({**TARO_RECORD, "address": "堺市中区9丁目9番9号"})
    assert (verdict, differs) == (Verdict.REVIEW, "住所")


def test_another_resident_matching_all_four_items_better_makes_it_a_mislink():
    # the record is 山田次郎's in every item, but carries 堺太郎's number (whose birth date differs anyway)
    row = {
        "record_id": "R9",
        "number": TARO,
        "name": "山田 次郎",
        "kana": "ヤマダ ジロウ",
        "birth": "1980-03-03",
        "sex": "男",
        "address": "堺市北区1-2-3",
    }
    result = audit(records([row]), REGISTRY)
    assert result.records["verdict"][0] == Verdict.MISLINK
    first = result.candidates.filter(pl.col("rank") == 1).row(0, named=True)
    assert first["c_name"] == "山田 次郎" and first["candidate_masked"] == "********" + JIRO[-4:]


def test_one_number_on_two_peoples_records_and_one_person_with_two_numbers():
    rows = [
        TARO_RECORD,
        {
            **TARO_RECORD,
            "record_id": "R2",
            "name": "別人 一郎",
            "kana": "ベツジン イチロウ",
            "birth": "1970-01-01",
        },
        {
            "record_id": "R3",
            "number": SABURO,
            "name": "鈴木 三郎",
            "kana": "スズキ サブロウ",
            "birth": "1990-04-04",
            "sex": "男",
            "address": "堺市西区4-5-6",
        },
        {
            "record_id": "R4",
            "number": SHIRO,
            "name": "鈴木 三郎",
            "kana": "スズキ サブロウ",
            "birth": "1990-04-04",
            "sex": "男",
            "address": "堺市西区4-5-6",
        },
    ]
    verdicts = audit(records(rows), REGISTRY).records["verdict"].to_list()
    assert (
        verdicts[0] == Verdict.SHARED
    )  # 堺太郎's own record: another person's record carries the number too
    assert verdicts[1] == Verdict.MISLINK
    assert verdicts[2] == Verdict.MULTIPLE
    assert verdicts[3] == Verdict.MISLINK  # 四郎's number on 三郎's record


def test_a_deceased_resident_on_an_active_record():
    row = {
        "record_id": "R5",
        "number": GORO,
        "name": "中村 五郎",
        "kana": "ナカムラ ゴロウ",
        "birth": "1950/6/6",
        "sex": "男",
        "address": "堺市南区1-1-1",
    }
    assert verdict_of(row)[0] == Verdict.STATUS
    assert verdict_of({**row, "status": "死亡"})[0] == Verdict.MATCH


def test_results_hold_no_number_in_clear():
    result = audit(records([TARO_RECORD, {**TARO_RECORD, "record_id": "R2", "number": HANAKO}]), REGISTRY)
    frames = [result.records, result.candidates, result.details(tuple(Verdict))]
    for frame in frames:
        text = frame.write_csv()
        assert not any(n in text for n in (TARO, HANAKO, JIRO, SABURO, SHIRO, GORO))
        assert "digits" not in frame.columns and "num" not in frame.columns


# --- generated data with ground truth ------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = inputs_dir(tmp_path_factory.mktemp("audit"))  # My Numbers: not scanned as output
    generate(folder, 6000, 5800, seed=7)
    return folder


def test_generated_mislinks_are_found_with_the_right_person_first(generated, tmp_path):
    result = audit_files(generated / "registry.csv", generated / "records.csv", tmp_path)
    truth = pl.read_csv(generated / "truth.csv")
    joined = result.records.join(truth, on="record_id")
    wrong = joined.filter(pl.col("kind").is_in(list(MISLINK_KINDS)))
    flagged = joined.filter(pl.col("verdict").is_in([v.value for v in WRONG_NUMBER]))
    assert wrong.height > 20
    assert set(flagged["record_id"]) == set(wrong["record_id"])
    first = result.candidates.filter(pl.col("rank") == 1).select("row", pl.col("reg_row").alias("first"))
    ranked = wrong.join(first, on="row", how="left")
    assert ranked.filter(pl.col("first") == pl.col("reg_row")).height == wrong.height
    benign = joined.filter(pl.col("kind").is_in(["stale_address", "surname_change"]))
    assert set(benign["verdict"]) <= {Verdict.REVIEW.value, Verdict.SHARED.value}


# --- inputs ----------------------------------------------------------------------------------


def test_shift_jis_csv_and_excel_are_read(generated, tmp_path):
    text = (generated / "records.csv").read_text(encoding="utf-8")
    sjis = inputs_dir(tmp_path) / "records_sjis.csv"
    sjis.write_bytes(text.encode("cp932"))
    with private_workdir(tmp_path) as work:  # the transcoded copy goes where a run keeps it
        frame = reader.read_table(sjis, work)
    assert not list(tmp_path.glob("mynumber-audit-*"))
    assert frame.height == 5800 and frame.columns[0] == "宛名番号"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["宛名番号", "個人番号", "氏名"])
    sheet.append(["A1", "012345678901", "堺 太郎"])
    xlsx = inputs_dir(tmp_path) / "records.xlsx"
    workbook.save(xlsx)
    frame = reader.read_table(xlsx, tmp_path)
    assert frame.row(0) == ("A1", "012345678901", "堺 太郎")  # leading zero kept


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff個人番号,氏名\n1,a\n".encode())
    assert reader.read_table(path, tmp_path).columns == ["個人番号", "氏名"]


def test_not_a_table_is_refused_without_quoting_its_content(tmp_path):
    path = inputs_dir(tmp_path) / "x.xlsx"
    path.write_bytes(b"PK\x03\x04 not really " + TARO.encode())
    with pytest.raises(reader.AuditInputError) as error:
        reader.read_table(path, tmp_path)
    assert TARO not in str(error.value)


def test_column_mapping_sure_unsure_and_missing():
    mapping = reader.detect_mapping(
        ["宛名番号", "個人番号（12桁）", "漢字氏名", "フリガナ", "生年月日", "性別", "住所"], "records"
    )
    assert mapping.columns["number"] == "個人番号（12桁）" and mapping.columns["name"] == "漢字氏名"
    assert mapping.unsure == ("number",) and mapping.complete
    missing = reader.detect_mapping(["氏名", "生年月日"], "registry")
    assert set(missing.missing) == {"number", "sex", "address"}
    fixed = missing.with_overrides({"number": "氏名"})
    assert fixed.columns["number"] == "氏名"
    with pytest.raises(reader.AuditInputError):
        missing.with_overrides({"number": "ない列"})


# --- report, privacy, CLI --------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"[0-9０-９][0-9０-９ \-－]{10,16}[0-9０-９]")


def _valid_numbers_in(text: str) -> list[str]:
    return [m for m in _DIGIT_RUN.findall(text) if is_valid_my_number(m)]


def test_the_report_has_its_sheets_masks_numbers_and_names_records_by_their_id(generated, tmp_path):
    from datetime import datetime

    result = audit_files(generated / "registry.csv", generated / "records.csv", tmp_path)
    settings = ReportSettings(
        "run1",
        datetime(2026, 12, 1, 9, 0),
        "registry.csv",
        "records.csv",
        {"number": "個人番号"},
        {"record_id": "宛名番号"},
        45,
    )
    workbook = load_workbook(io.BytesIO(build_report(result, settings)))
    assert workbook.sheetnames == [
        "概要",
        "誤紐付けの疑い",
        "チェックデジット不正",
        "住基に存在しない",
        "要確認",
        "候補",
        "設定",
    ]
    mislinks = list(workbook["誤紐付けの疑い"].iter_rows(values_only=True))
    assert mislinks[0][0] == "レコード番号" and str(mislinks[1][0]).startswith("A")
    assert str(mislinks[1][4]).startswith("********")
    everything = "\n".join(
        str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row
    )
    assert _valid_numbers_in(everything) == []


def test_the_private_folder_is_gone_after_a_run_and_after_a_failure(tmp_path):
    with private_workdir(tmp_path) as folder:
        assert folder.stat().st_mode & 0o077 == 0
        (folder / "copy.csv").write_text("x")
    assert not folder.exists()
    with pytest.raises(RuntimeError), private_workdir(tmp_path) as folder:
        raise RuntimeError("boom")
    assert not folder.exists()


def test_the_cli_writes_the_report_and_logs_no_number(generated, tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "report.xlsx"
    code = cli.main(
        [str(generated / "registry.csv"), str(generated / "records.csv"), "--out", str(out), "--quiet"]
    )
    captured = capsys.readouterr()
    assert code == 0 and out.stat().st_size > 10_000
    assert "誤紐付けの疑い" in captured.out
    assert _valid_numbers_in(captured.out + captured.err + caplog.text) == []


def test_the_cli_stops_on_an_unsure_column_until_confirmed(tmp_path, capsys):
    registry = inputs_dir(tmp_path) / "registry.csv"
    registry.write_text(
        "個人番号,氏名,生年月日,性別,住所\n" + f"{TARO},堺 太郎,1970-01-01,男,堺区1-1-1\n", encoding="utf-8"
    )
    records_file = inputs_dir(tmp_path) / "records.csv"
    records_file.write_text(
        "宛名番号,個人番号(12桁),氏名,生年月日,性別,住所\n" + f"A1,{TARO},堺 太郎,1970-01-01,男,堺区1-1-1\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.xlsx"
    assert cli.main([str(registry), str(records_file), "--out", str(out), "--quiet"]) == 2
    assert "要確認" in capsys.readouterr().err and not out.exists()
    assert cli.main([str(registry), str(records_file), "--out", str(out), "--quiet", "--yes"]) == 0
    assert out.exists()
    assert cli.main([str(tmp_path / "none.csv"), str(records_file), "--out", str(out)]) == 2


# --- worker process and report vault ---------------------------------------------------------


async def test_an_audit_runs_in_a_worker_process_one_at_a_time(generated, tmp_path):
    from datetime import datetime

    from services.mynumber.audit.worker import AuditBusy, AuditWorker

    worker = AuditWorker()
    try:
        run_id = worker.claim()
        with pytest.raises(AuditBusy):
            worker.claim()
        outcome = await worker.run(
            run_id,
            generated / "registry.csv",
            generated / "records.csv",
            tmp_path,
            registry_columns={},
            records_columns={},
            registry_name="住基.csv",
            records_name="業務.csv",
            started=datetime(2026, 12, 1, 9, 0),
        )
        assert worker.running is None and worker.claim()
        assert outcome.records == 5800 and outcome.wrong_numbers > 20 and not outcome.error
        assert sum(outcome.counts.values()) == 5800
        assert outcome.top and all(t.number_masked.startswith("********") for t in outcome.top)
        assert load_workbook(io.BytesIO(outcome.report)).sheetnames[0] == "概要"
        assert AuditWorker.progress(tmp_path)[1] >= 0.97
    finally:
        worker.shutdown()


async def test_a_run_with_unreadable_inputs_reports_why(tmp_path):
    from datetime import datetime

    from services.mynumber.audit.worker import AuditWorker, run_in_worker

    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    outcome = run_in_worker(
        "r1", str(bad), str(bad), str(tmp_path), {}, {}, "a", "b", datetime(2026, 1, 1).isoformat()
    )
    assert outcome.error.startswith("列が見つかりません") and outcome.report == b""
    assert AuditWorker.progress(tmp_path / "nowhere") == ("住基データの読み込み", 0.0)


def test_reports_are_kept_in_memory_for_their_owner_until_they_expire():
    from services.mynumber.audit.worker import ReportVault

    now = [0.0]
    vault = ReportVault(ttl_seconds=60, clock=lambda: now[0])
    vault.put("run1", "owner-a", "点検結果.xlsx", b"xlsx")
    assert vault.get("run1", "owner-b") is None
    assert vault.get("run1", "owner-a") == ("点検結果.xlsx", b"xlsx")
    now[0] = 61
    assert vault.get("run1", "owner-a") is None


def test_a_namesake_of_the_old_surname_does_not_turn_a_surname_change_into_a_mislink():
    namesake = pl.DataFrame(
        {
            "number": [number("10000000099")],
            "name": ["旧姓 太郎"],
            "kana": ["キュウセイ タロウ"],
            "birth": ["1970-01-01"],
            "sex": ["男"],
            "address": ["大阪府堺市美原区9丁目9番9号"],
            "status": ["住民"],
        }
    )
    row = {**TARO_RECORD, "name": "旧姓 太郎", "kana": "キュウセイ タロウ"}
    result = audit(records([row]), pl.concat([REGISTRY, namesake]))
    assert result.records["verdict"][0] == Verdict.REVIEW
