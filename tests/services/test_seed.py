"""The seed CSVs under data/ and their loader (the package services/kernel/seed)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from services.kernel.seed import (
    DEFAULT_DATA_DIR,
    ONLINE_ANNOTATION_COLUMNS,
    ONLINE_FIGURE_COLUMNS,
    ONLINE_PERIOD_COLUMNS,
    SCHEMAS,
    SEED_TABLE,
    SeedError,
    bureau_rows,
    dx_selection_departments,
    load_seed,
    main,
    read_online_procedures,
    read_seed_frame,
    seed_store,
)
from services.kernel.seed import loader as seed_module
from storage.base import Entity
from tests.fakes import InMemoryTableStore

# The 総計 row of the material (page 7), in its column order. Independent of the CSV on purpose.
MATERIAL_TOTALS = (543, 991, 70, 92, 62, 24, 513, 739, 637, 35, 3706, 150)
MATERIAL_COLUMNS = (
    "R3年5月まで実績",
    "R3年6月～R5年3月 グループ1実績",
    "R3年6月～R5年3月 重要取組実績",
    "R5年度 4～6月実績",
    "R5年度 7～9月予定",
    "R5年度 10～12月予定",
    "R5年度 1～3月予定",
    "R6年度予定",
    "R7年度予定",
    "重要取組未実施",
    "帳票数",
    "個別対応が必要な手続き",
)
MATERIAL_BUREAUS = (
    "市長公室",
    "危機管理室",
    "総務局",
    "財政局",
    "市民人権局",
    "文化観光局",
    "環境局",
    "健康福祉局",
    "泉北ニューデザイン推進室",
    "子ども青少年局",
    "産業振興局",
    "建築都市局",
    "建設局",
    "堺区役所",
    "中区役所",
    "南区役所",
    "美原区役所",
    "監査委員事務局",
    "農業委員会事務局",
    "教育委員会事務局",
    "上下水道局",
    "消防局",
)
# Every (遅れ N) / (前倒し N) of the material: (bureau, quarter, kind) -> N.
MATERIAL_ANNOTATIONS = {
    ("市民人権局", "4～6月", "前倒し"): 1,
    ("市民人権局", "7～9月", "遅れ"): 3,
    ("文化観光局", "10～12月", "遅れ"): 1,
    ("環境局", "4～6月", "遅れ"): 5,
    ("健康福祉局", "4～6月", "遅れ"): 11,
    ("健康福祉局", "7～9月", "遅れ"): 36,
    ("健康福祉局", "10～12月", "遅れ"): 1,
    ("健康福祉局", "1～3月", "遅れ"): 14,
    ("子ども青少年局", "10～12月", "遅れ"): 2,
    ("子ども青少年局", "1～3月", "遅れ"): 1,
    ("産業振興局", "7～9月", "遅れ"): 7,
    ("産業振興局", "10～12月", "遅れ"): 7,
    ("産業振興局", "1～3月", "遅れ"): 2,
    ("建築都市局", "4～6月", "前倒し"): 18,
    ("建設局", "7～9月", "遅れ"): 3,
    ("上下水道局", "4～6月", "遅れ"): 2,
}


@pytest.fixture(scope="module")
def seed():
    return load_seed(DEFAULT_DATA_DIR)


@pytest.fixture
def online(seed) -> pd.DataFrame:
    return seed.online_procedures.set_index("局")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


def edit_cell(path: Path, sheet_row: int, column: str, value: str) -> None:
    """Set one cell, addressed as a spreadsheet user would (header = row 1)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[sheet_row - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def refused(data_dir: Path) -> list[str]:
    with pytest.raises(SeedError) as caught:
        load_seed(data_dir)
    return [str(issue) for issue in caught.value.issues]


# --- loading ---------------------------------------------------------------------------------


def test_every_seed_file_loads(seed):
    assert set(seed.frames) == {s.name for s in SCHEMAS}
    for schema in SCHEMAS:
        assert list(seed[schema.name].columns) == schema.column_names


def test_every_csv_under_data_has_a_schema_and_a_readme_entry():
    readme = (DEFAULT_DATA_DIR / "README.md").read_text(encoding="utf-8")
    for path in DEFAULT_DATA_DIR.glob("*.csv"):
        assert path.stem in {s.name for s in SCHEMAS}
        assert f"`{path.name}`" in readme


# --- online procedures -----------------------------------------------------------------------


def test_bureaus_in_the_material_order_then_the_total_row(seed):
    assert tuple(seed.online_procedures["局"]) == (*MATERIAL_BUREAUS, "総計")


def test_total_row_and_column_sums_equal_the_material(seed, online):
    assert ONLINE_FIGURE_COLUMNS == MATERIAL_COLUMNS
    assert tuple(int(online.loc["総計", c]) for c in MATERIAL_COLUMNS) == MATERIAL_TOTALS
    bureaus = bureau_rows(seed.online_procedures)
    assert tuple(int(bureaus[c].sum()) for c in MATERIAL_COLUMNS) == MATERIAL_TOTALS


def test_each_bureau_forms_total_is_its_period_sum_without_individual_handling(online):
    for bureau in MATERIAL_BUREAUS:
        assert online.loc[bureau, "帳票数"] == sum(online.loc[bureau, c] for c in ONLINE_PERIOD_COLUMNS), (
            bureau
        )
    # 個別対応が必要な手続き is counted apart from 帳票数: 美原区役所 has 0 forms and 1 such procedure.
    assert "個別対応が必要な手続き" not in ONLINE_PERIOD_COLUMNS
    assert (online.loc["美原区役所", "帳票数"], online.loc["美原区役所", "個別対応が必要な手続き"]) == (0, 1)
    assert (online.loc["建築都市局", "帳票数"], online.loc["建築都市局", "個別対応が必要な手続き"]) == (
        370,
        62,
    )


def test_rows_that_look_shifted_in_the_material(online):
    expected = {
        "市民人権局": (12, 35, 4, 4, 3, 0, 2, 128, 2, 1, 191, 0),
        "文化観光局": (39, 12, 2, 0, 0, 4, 18, 78, 1, 0, 154, 7),
        "環境局": (44, 87, 2, 17, 0, 0, 6, 23, 136, 1, 316, 3),
        "建築都市局": (6, 64, 4, 18, 1, 1, 63, 105, 103, 5, 370, 62),
        "健康福祉局": (38, 236, 29, 12, 38, 1, 122, 283, 245, 19, 1023, 33),
    }
    for bureau, values in expected.items():
        assert tuple(int(online.loc[bureau, c]) for c in MATERIAL_COLUMNS) == values, bureau


def test_the_one_documented_correction_is_flagged_in_the_data(online):
    # The material prints 上下水道局 as 10～12月 blank, 1～3月 11 (row sum 148 against 帳票数 149).
    assert (
        online.loc["上下水道局", "R5年度 10～12月予定"],
        online.loc["上下水道局", "R5年度 1～3月予定"],
    ) == (4, 8)
    assert "要確認" in online.loc["上下水道局", "備考"]
    assert [b for b in online.index if online.loc[b, "備考"]] == ["上下水道局"]


def test_the_printed_water_bureau_row_is_refused(data_copy):
    path = data_copy / "online_procedures.csv"
    edit_cell(path, 22, "R5年度 10～12月予定", "")
    edit_cell(path, 22, "R5年度 1～3月予定", "11")
    issues = refused(data_copy)
    assert "online_procedures.csv 22行目 「帳票数」: 期間の列の合計 148 と一致しません (149)" in issues
    assert (
        "online_procedures.csv 24行目 「R5年度 10～12月予定」: 総計 24 が各局の合計 20 と一致しません"
        in issues
    )
    assert (
        "online_procedures.csv 24行目 「R5年度 1～3月予定」: 総計 513 が各局の合計 516 と一致しません"
        in issues
    )


def test_1061_procedures_were_put_online_991_group1_and_70_priority(seed):
    facts = seed["online_procedures_facts"].set_index("項目")["件数"]
    assert facts["オンライン化件数（R3年6月～R5年3月末）"] == 1061 == 991 + 70
    assert facts["うちグループ1手続き"] == 991
    assert facts["うち重要取組"] == 70
    assert facts["グループ1未了"] == 92
    assert (facts["手法内訳 システム受付"], facts["手法内訳 Eメール受付"]) == (1257, 439)
    total = seed.online_procedures.set_index("局").loc["総計"]
    assert total["R3年6月～R5年3月 グループ1実績"] + total["R3年6月～R5年3月 重要取組実績"] == 1061


def test_every_annotation_is_where_the_material_puts_it(online):
    found = {}
    for column in ONLINE_ANNOTATION_COLUMNS:
        _, quarter, kind = column.split(" ")
        for bureau, value in online[column].items():
            if value:
                found[(bureau, quarter, kind)] = int(value)
    assert found == MATERIAL_ANNOTATIONS


def test_annotations_are_notes_not_added_to_the_figures(online):
    # 健康福祉局 1～3月: "(遅れ 14) 122" is 122 planned, and 帳票数 1023 does not count the 14.
    assert online.loc["健康福祉局", "R5年度 1～3月予定"] == 122
    assert online.loc["建築都市局", "R5年度 4～6月実績"] == 18
    assert online.loc["総計", list(ONLINE_ANNOTATION_COLUMNS)].sum() == 0


# --- refusing corrupted copies ---------------------------------------------------------------


def test_a_non_numeric_cell_is_refused_with_file_row_and_column(data_copy):
    edit_cell(data_copy / "online_procedures.csv", 5, "帳票数", "abc")
    assert refused(data_copy) == ['online_procedures.csv 5行目 「帳票数」: 数値ではありません ("abc")']


def test_a_negative_count_is_refused(data_copy):
    edit_cell(data_copy / "digital_divide_r4.csv", 3, "数", "-113")
    assert refused(data_copy) == ['digital_divide_r4.csv 3行目 「数」: 負の数は使えません ("-113")']


def test_a_missing_column_is_refused(data_copy):
    path = data_copy / "online_procedures.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    drop = rows[0].index("重要取組未実施")
    write_rows(path, [r[:drop] + r[drop + 1 :] for r in rows])
    assert refused(data_copy) == ["online_procedures.csv 1行目 「重要取組未実施」: 列がありません"]


def test_a_broken_total_is_refused(data_copy):
    edit_cell(data_copy / "online_procedures.csv", 24, "R7年度予定", "638")
    issues = refused(data_copy)
    assert "online_procedures.csv 24行目 「R7年度予定」: 総計 638 が各局の合計 637 と一致しません" in issues


def test_a_bureau_row_that_does_not_add_up_is_refused(data_copy):
    edit_cell(data_copy / "online_procedures.csv", 5, "帳票数", "113")
    issues = refused(data_copy)
    assert "online_procedures.csv 5行目 「帳票数」: 期間の列の合計 112 と一致しません (113)" in issues


def test_facts_that_disagree_with_the_table_are_refused(data_copy):
    edit_cell(data_copy / "online_procedures_facts.csv", 2, "件数", "1060")
    assert refused(data_copy) == [
        "online_procedures_facts.csv 2行目 「件数」: オンライン化の表の総計からは 1061 です (1060)"
    ]


def test_every_broken_file_is_reported_and_nothing_is_loaded(data_copy, monkeypatch):
    edit_cell(data_copy / "mynumber_classification.csv", 2, "対象となるレコード件数 100件以上", "44")
    edit_cell(data_copy / "dx_training_menu.csv", 4, "DX PRO", "x")
    (data_copy / "cashless_done.csv").unlink()
    (data_copy / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    built = []
    monkeypatch.setattr(seed_module, "SeedData", lambda *a, **k: built.append(a) or pytest.fail("built"))
    issues = refused(data_copy)
    assert issues == [
        "mynumber_classification.csv: 業務数の合計が 48 です（資料では 47）",
        "cashless_done.csv: ファイルがありません",
        'dx_training_menu.csv 4行目 「DX PRO」: 「○」か空欄で書いてください ("x")',
        "extra.csv: スキーマにないファイルです"
        "（services/kernel/seed/schemas.py の SCHEMAS に追加してください）",
    ]
    assert built == []


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "message"),
    [
        (
            "standardization_budget_schedule.csv",
            3,
            "終了日",
            "2023/9/30",
            '日付は YYYY-MM-DD で書いてください ("2023/9/30")',
        ),
        (
            "standardization_hard_systems.csv",
            2,
            "データ要件適合期限日",
            "2026-02-30",
            '存在しない日付です ("2026-02-30")',
        ),
        (
            "cashless_receivables.csv",
            13,
            "切替公募年度",
            "R7",
            '次のいずれかで書いてください: 空欄、R5、R6、複数年 ("R7")',
        ),
        (
            "dx_data_academy.csv",
            2,
            "所管部署",
            "健康部||救急部",
            '「|」で区切った空でない項目を書いてください ("健康部||救急部")',
        ),
        ("literacy_levels.csv", 3, "説明", " ", "必須です（空欄）"),
        ("mynumber_survey.csv", 2, "回答情報数", "80", "対象情報数 79 を超えています (80)"),
        ("dx_programme.csv", 2, "数値", "71", "DX選定会議の部署数は資料では 72 です (71)"),
        ("online_procedures.csv", 6, "局", "財政局", "5行目と重複しています (財政局)"),
        ("dx_programme.csv", 10, "終了日", "2023-06-30", "「開始日」2023-07-01 より前です (2023-06-30)"),
    ],
)
def test_bad_cells_are_refused(data_copy, file, row, column, value, message):
    edit_cell(data_copy / file, row, column, value)
    assert f"{file} {row}行目 「{column}」: {message}" in refused(data_copy)


def test_ragged_rows_and_blank_lines_in_the_middle_are_refused(data_copy):
    path = data_copy / "digital_divide_r4.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    write_rows(path, [rows[0], rows[1][:-1], [], *rows[2:]])
    assert refused(data_copy) == [
        "digital_divide_r4.csv 2行目: 列の数が 3 です（4 のはず）",
        "digital_divide_r4.csv 3行目: 空の行があります（データの途中に空行は置けません）",
    ]


def test_a_bom_thousands_separators_and_trailing_blank_lines_are_accepted(data_copy):
    path = data_copy / "digital_divide_r4.csv"
    text = path.read_text(encoding="utf-8").replace("14000", '"14,000"')
    path.write_text("\ufeff" + text + ",,,\n\n", encoding="utf-8")
    assert load_seed(data_copy)["digital_divide_r4"]["数"].tolist() == [198, 113, 14000]


# --- the store -------------------------------------------------------------------------------


def test_seed_store_twice_adds_nothing_the_second_time(seed):
    store = InMemoryTableStore()
    assert seed_store(store, seed) == seed.row_count == len(list(store.query(SEED_TABLE)))
    assert seed_store(store, seed) == 0
    assert len(list(store.query(SEED_TABLE))) == seed.row_count


def test_seed_store_fills_in_only_what_is_missing_and_never_overwrites(seed):
    store = InMemoryTableStore()
    seed_store(store, seed)
    store.delete(SEED_TABLE, "online_procedures", "0005")
    edited = store.get(SEED_TABLE, "online_procedures", "0004")
    store.upsert(SEED_TABLE, Entity(edited.partition_key, edited.row_key, {**edited.properties, "note": "x"}))
    assert seed_store(store, seed) == 1
    assert store.get(SEED_TABLE, "online_procedures", "0004")["note"] == "x"
    assert store.get(SEED_TABLE, "online_procedures", "0005")["bureau"] == "市民人権局"


def test_online_procedures_round_trip_through_the_store(seed):
    store = InMemoryTableStore()
    seed_store(store, seed)
    stored = read_online_procedures(store)
    pd.testing.assert_frame_equal(stored, seed.online_procedures)
    # ... and equal to the CSV file itself, read without the loader (blank count cells are 0).
    raw = pd.read_csv(DEFAULT_DATA_DIR / "online_procedures.csv", dtype=str, keep_default_na=False)
    assert list(raw.columns) == list(stored.columns)
    for column in raw.columns:
        expected = raw[column].tolist()
        if column not in ("局", "備考"):
            expected = [int(v) if v else 0 for v in expected]
        assert stored[column].tolist() == expected, column


def test_every_seed_file_round_trips_through_the_store(seed):
    store = InMemoryTableStore()
    seed_store(store, seed)
    for schema in SCHEMAS:
        pd.testing.assert_frame_equal(read_seed_frame(store, schema.name), seed[schema.name])


def test_reading_an_unseeded_store_says_so():
    with pytest.raises(SeedError, match="ストアにシードデータがありません"):
        read_online_procedures(InMemoryTableStore())


# --- the other files: key figures ------------------------------------------------------------


def test_mynumber_figures(seed):
    survey = seed["mynumber_survey"].iloc[0]
    assert (survey["対象情報数"], survey["回答情報数"], survey["関係課室数"]) == (79, 41, 15)
    assert survey["関係局"] == ("財政局", "市民人権局", "健康福祉局", "子ども青少年局")
    matrix = seed["mynumber_classification"]
    assert matrix["分類"].tolist() == [
        "システム自動連携や本人確認書類、4情報等によりマイナンバーと紐付け",
        "上記以外で紐付け（氏名や生年月日だけでの紐付け等）",
    ]
    counts = (
        matrix[["対象となるレコード件数 100件以上", "対象となるレコード件数 100件未満"]].to_numpy().tolist()
    )
    assert counts == [[43, 2], [0, 2]]
    steps = seed["mynumber_steps"]
    national = steps[steps["区分"] == "国が示す総点検の進め方"]
    assert national.iloc[0]["時期"] == "7月中" and national.iloc[0]["期限"] == date(2023, 7, 31)
    assert national[national["番号"] != ""]["内容"].tolist() == [
        "全データ点検",
        "誤紐付けの修正",
        "情報漏洩の有無に関する調査など",
    ]
    assert (steps["区分"] == "再発防止策 国の方向性").sum() == 3
    assert (steps["区分"] == "再発防止策 本市で対応が必要と想定される内容").sum() == 5


def test_cashless_figures(seed):
    receivables = seed["cashless_receivables"]
    assert receivables.groupby("区分", sort=False).size().to_dict() == {
        "納付書債権": 7,
        "市窓口 直営施設債権": 3,
        "指定管理者施設債権": 7,
    }
    by_name = receivables.set_index("債権名")
    assert by_name.loc["目的外使用料", "所管課"] == "土木監理課"
    assert by_name.loc["自転車等駐車場", "切替公募年度"] == "複数年"
    assert by_name.loc["布袋温泉", "切替公募年度"] == "R6"
    assert (receivables[receivables["区分"] != "指定管理者施設債権"]["切替公募年度"] == "").all()
    done = seed["cashless_done"]
    assert done[["導入時期", "対象", "数"]].values.tolist() == [
        ["R4", "堺区市民課窓口", 1],
        ["R4", "スポーツ施設", 11],
        ["R4", "文化施設等", 9],
        ["R5当初", "スポーツ施設", 4],
        ["R5当初", "文化施設", 1],
    ]
    assert done[done["導入時期"] == "R4"]["財源"].str.contains("コロナ交付金").all()
    policy = seed["cashless_policy"].set_index("項目")
    assert policy.loc["年間件数", "数値"] == 3000 and policy.loc["金額ベースの割合", "数値"] == 96
    assert policy.loc["キャッシュレス決済比率", "数値"] == 40
    excluded = seed["cashless_policy"].query("区分 == '対象外'")["項目"].tolist()
    assert excluded == ["複写機等使用徴収金", "収入印紙売りさばき収入金", "斎場使用料"]


def test_standardization_figures(seed):
    policy = seed["standardization_policy"]
    assert policy["番号"].tolist() == ["①", "②", "③"]
    assert not policy.map(lambda v: "<" in v).any().any()
    hard = seed["standardization_hard_systems"]
    assert hard["システム"].tolist() == ["税", "障害者福祉"]
    assert (hard["データ要件適合期限"] == "令和8年（2026年）3月末").all()
    assert (hard["データ要件適合期限日"] == date(2026, 3, 31)).all()
    assert (hard["本市の対応期限"] == "令和7年度末").all()
    schedule = seed["standardization_budget_schedule"]
    assert schedule[["作業内容", "開始日", "終了日"]].values.tolist() == [
        ["見積依頼", date(2023, 7, 31), date(2023, 7, 31)],
        ["Gap（※2）への対応", date(2023, 7, 31), date(2023, 9, 30)],
        ["見積精査", date(2023, 8, 31), date(2023, 10, 10)],
    ]


def test_dx_figures(seed):
    menu = seed["dx_training_menu"].set_index("研修メニュー")
    assert menu.index.tolist() == [
        "DXマインド向上",
        "サービスデザイン思考",
        "BPR",
        "データ活用",
        "堺市DXガイドブック",
        "データアカデミー",
    ]
    assert menu["形式"].tolist() == ["", "", "", "動画", "動画", "グループワーク"]
    assert menu["部長"].tolist() == [True, True, False, False, True, False]
    assert menu["DX PRO"].tolist() == [True, True, True, True, True, False]
    assert menu["選抜"].tolist() == [False, False, False, False, False, True]
    academy = seed["dx_data_academy"]
    assert academy["番号"].tolist() == ["①", "②", "③", "④"]
    assert academy.iloc[1]["所管部署"] == ("救急部",)
    assert academy.iloc[3]["所管部署"] == (
        "企画総務課",
        "保険年金課",
        "地域福祉課",
        "保健センター",
        "市民生活部",
    )
    programme = seed["dx_programme"].set_index("項目")
    assert programme.loc["DX選定会議", "数値"] == 72
    assert (
        programme.loc["研修", "時期"] == "5～6月" and programme.loc["データアカデミー", "時期"] == "7～10月"
    )
    assert (seed["dx_programme"]["区分"] == "DX対象業務").sum() == 4


def test_literacy_and_digital_divide_figures(seed):
    levels = seed["literacy_levels"]
    assert levels["レベル"].tolist() == ["わかる", "つかえる", "つくれる", "継続"]
    assert len(levels.iloc[0]["要点"]) == 4
    r4 = seed["digital_divide_r4"]
    assert r4[["媒体", "掲示・配架先", "数"]].values.tolist() == [
        ["ポスター", "市有施設", 198],
        ["ポスター", "民間施設", 113],
        ["チラシ", "各区合計", 14000],
    ]
    plan = seed["digital_divide_plan"]
    assert plan["柱"].unique().tolist() == ["興味をもってもらおう", "実際に触れてもらう"]
    classes = plan[plan["時期"] == "R5予定"].iloc[0]
    assert (classes["回数"], classes["人数"]) == (177, 1801)
    assert plan["時期"].tolist()[0] == "広報さかい 8月号"


# --- CLI and layering ------------------------------------------------------------------------


def test_the_documented_command_runs_the_check():
    result = subprocess.run(
        [sys.executable, "-m", "services.kernel.seed", "check", str(DEFAULT_DATA_DIR)],
        cwd=DEFAULT_DATA_DIR.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout.startswith(f"シードデータ OK: {len(SCHEMAS)} ファイル")


def test_the_seed_states_the_dx_department_target(tmp_path):
    store = InMemoryTableStore()
    assert dx_selection_departments(store) is None
    seed_store(store, load_seed(DEFAULT_DATA_DIR))
    assert dx_selection_departments(store) == 72


def test_cli_check_ok(capsys):
    assert main(["check", str(DEFAULT_DATA_DIR)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith(f"シードデータ OK: {len(SCHEMAS)} ファイル")


def test_cli_check_reports_the_error_and_exits_1(data_copy, capsys):
    edit_cell(data_copy / "online_procedures.csv", 5, "帳票数", "abc")
    assert main(["check", str(data_copy)]) == 1
    assert 'online_procedures.csv 5行目 「帳票数」: 数値ではありません ("abc")' in capsys.readouterr().err


def test_a_stored_seed_frame_is_built_once_and_every_reader_gets_its_own_copy():
    from services.kernel.seed import load_seed, read_seed_frame, seed_store
    from tests.fakes import InMemoryTableStore

    store = InMemoryTableStore()
    seed_store(store, load_seed())
    first = read_seed_frame(store, "digital_divide_r4")
    first.iloc[0, 0] = "書き換えた値"  # a reader changing its frame changes nobody else's
    second = read_seed_frame(store, "digital_divide_r4")
    assert second.iloc[0, 0] != "書き換えた値"
    assert second.equals(read_seed_frame(store, "digital_divide_r4"))
    # a write to the stored rows (a re-seed, another instance) is read at once
    from services.kernel.seed.schemas import SCHEMA_BY_NAME
    from services.kernel.seed.store import SEED_TABLE
    from storage.base import Entity

    column = SCHEMA_BY_NAME["digital_divide_r4"].columns[0]
    entity = next(iter(store.query(SEED_TABLE, "digital_divide_r4")))
    changed = {**entity.properties, column.key: "新しい値"}
    assert "新しい値" not in list(second.iloc[:, 0])
    store.upsert(SEED_TABLE, Entity(entity.partition_key, entity.row_key, changed))
    assert "新しい値" in list(read_seed_frame(store, "digital_divide_r4").iloc[:, 0])
