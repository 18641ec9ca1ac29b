"""One declarative schema per seed file (:data:`SCHEMAS`), and the checks that read several files."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from services.kernel.seed.checks import (
    BUREAU,
    ONLINE_COLUMNS,
    check_classification,
    check_dx_programme,
    check_facts_against_table,
    check_hard_systems,
    check_online_procedures,
    check_standardization_systems,
    check_survey,
    date_order,
)
from services.kernel.seed.model import FileSchema, Kind, SeedIssue, col

# --- the schemas -----------------------------------------------------------------------------

SCHEMAS: tuple[FileSchema, ...] = (
    FileSchema(
        "online_procedures",
        "2 行政手続きオンライン化の推進: 局別の表",
        ONLINE_COLUMNS,
        unique=(BUREAU,),
        checks=(check_online_procedures,),
    ),
    FileSchema(
        "online_procedures_facts",
        "2 行政手続きオンライン化の推進: 本文の件数",
        (
            col("項目", "item"),
            col("件数", "count", Kind.COUNT),
            col("説明", "description", Kind.OPT_TEXT),
        ),
        unique=("項目",),
    ),
    FileSchema(
        "mynumber_survey",
        "1 マイナンバー情報総点検: 現状の紐付け方法確認",
        (
            col("調査", "survey"),
            col("時期", "period"),
            col("対象", "subject"),
            col("対象情報数", "items", Kind.COUNT),
            col("回答情報数", "answered", Kind.COUNT),
            col("関係課室数", "sections", Kind.COUNT),
            col("関係局", "bureaus", Kind.LIST),
        ),
        unique=("調査",),
        checks=(check_survey,),
    ),
    FileSchema(
        "mynumber_classification",
        "1 マイナンバー情報総点検: 全データ点検の分類",
        (
            col("分類", "category"),
            col("対象となるレコード件数 100件以上", "works_100_or_more", Kind.COUNT),
            col("対象となるレコード件数 100件未満", "works_under_100", Kind.COUNT),
            col("注記", "note", Kind.OPT_TEXT),
        ),
        unique=("分類",),
        checks=(check_classification,),
    ),
    FileSchema(
        "mynumber_variant_kanji",
        "1 マイナンバー情報総点検: 全データ点検で同じ字とみなす異体字・旧字（事務局が追加できる対応表）",
        (
            col("異体字", "variant"),
            col("標準字", "standard"),
            col("注記", "note", Kind.OPT_TEXT),
        ),
        unique=("異体字",),
    ),
    FileSchema(
        "mynumber_steps",
        "1 マイナンバー情報総点検: 進め方と再発防止策",
        (
            col(
                "区分",
                "category",
                choices=(
                    "国が示す総点検の進め方",
                    "本市における総点検の進め方",
                    "再発防止策 国の方向性",
                    "再発防止策 本市で対応が必要と想定される内容",
                ),
            ),
            col("時期", "period", Kind.OPT_TEXT),
            col("期限", "due", Kind.OPT_DATE),
            col("番号", "number", Kind.OPT_TEXT),
            col("内容", "content"),
            col("上位項目", "parent", Kind.OPT_TEXT),
        ),
    ),
    FileSchema(
        "cashless_receivables",
        "3 キャッシュレスの推進: 年間件数3,000件以上のキャッシュレス未導入債権",
        (
            col("区分", "channel", choices=("納付書債権", "市窓口 直営施設債権", "指定管理者施設債権")),
            col("債権名", "name"),
            col("所管課", "department", Kind.OPT_TEXT),
            col("切替公募年度", "tender_year", Kind.OPT_TEXT, choices=("", "R5", "R6", "複数年")),
            col("所管局", "bureau", Kind.OPT_TEXT),
        ),
        unique=("区分", "債権名"),
    ),
    FileSchema(
        "cashless_done",
        "3 キャッシュレスの推進: 導入済み",
        (
            col("導入時期", "introduced", choices=("R4", "R5当初")),
            col("対象", "target"),
            col("数", "count", Kind.COUNT),
            col("単位", "unit"),
            col("財源", "funding", Kind.OPT_TEXT),
        ),
        unique=("導入時期", "対象"),
    ),
    FileSchema(
        "cashless_policy",
        "3 キャッシュレスの推進: 導入方針",
        (
            col("区分", "category"),
            col("項目", "item"),
            col("内容", "content"),
            col("数値", "value", Kind.OPT_COUNT),
            col("単位", "unit", Kind.OPT_TEXT),
            col("期限", "due", Kind.OPT_DATE),
        ),
        unique=("区分", "項目"),
    ),
    FileSchema(
        "standardization_policy",
        "業務システムの標準化: 標準化基本方針の改定",
        (
            col("番号", "number", choices=("①", "②", "③")),
            col("基本方針の改定案概要（抜粋）", "policy"),
            col("改訂案の内容による留意事項", "notes"),
        ),
        unique=("番号",),
    ),
    FileSchema(
        "standardization_hard_systems",
        "業務システムの標準化: 移行の難易度が極めて高いシステム",
        (
            col("システム", "system"),
            col("区分", "category"),
            col("データ要件適合期限", "data_due_label"),
            col("データ要件適合期限日", "data_due", Kind.DATE),
            col("本市の対応期限", "city_due_label"),
            col("本市の対応期限日", "city_due", Kind.DATE),
            col("移行管理の期限", "migration_due_label"),
            col("本市の対応", "city_action"),
        ),
        unique=("システム",),
    ),
    FileSchema(
        "standardization_facts",
        "業務システムの標準化: 経費区分（※1）、補助金の状況、閣議決定の予定",
        (
            col("区分", "category", choices=("経費区分", "補助金", "基本方針")),
            col("項目", "item"),
            col("内容", "content"),
            col("補助対象", "eligible", Kind.FLAG),
            col("数値", "value", Kind.OPT_COUNT),
            col("単位", "unit", Kind.OPT_TEXT),
            col("時期", "period", Kind.OPT_TEXT),
        ),
        unique=("区分", "項目"),
    ),
    FileSchema(
        "standardization_systems",
        "業務システムの標準化: 標準化対象の20業務（国の一覧。所管局は本市の仮の割当て）",
        (
            col("番号", "number"),
            col("業務", "operation"),
            col("システム区分", "group"),
            col("移行の難易度が極めて高い", "hard", Kind.FLAG),
            col("所管局", "bureau", Kind.OPT_TEXT),
        ),
        unique=("番号",),
        checks=(check_standardization_systems,),
    ),
    FileSchema(
        "standardization_budget_schedule",
        "業務システムの標準化: 予算要求までのスケジュール",
        (
            col("時期", "period"),
            col("開始日", "start", Kind.DATE),
            col("終了日", "end", Kind.DATE),
            col("作業内容", "task"),
            col("各システム担当課", "system_sections", Kind.OPT_TEXT),
            col("ICTイノベーション推進室", "ict_office", Kind.OPT_TEXT),
            col("注記", "note", Kind.OPT_TEXT),
        ),
        unique=("作業内容",),
        checks=(date_order("standardization_budget_schedule.csv", "開始日", "終了日"),),
    ),
    FileSchema(
        "dx_training_menu",
        "堺市DXの推進: DX PRO育成プログラムの研修メニュー",
        (
            col("研修メニュー", "menu"),
            col("研修概要", "summary"),
            col("形式", "format", Kind.OPT_TEXT, choices=("", "動画", "グループワーク")),
            col("部長", "for_directors", Kind.FLAG),
            col("DX PRO", "for_dx_pros", Kind.FLAG),
            col("選抜", "for_selected", Kind.FLAG),
        ),
        unique=("研修メニュー",),
    ),
    FileSchema(
        "dx_data_academy",
        "堺市DXの推進: データアカデミー対象業務",
        (
            col("番号", "number", choices=("①", "②", "③", "④")),
            col("対象業務", "work"),
            col("参加", "participation", Kind.OPT_TEXT),
            col("所管部署", "departments", Kind.LIST),
            col("共通参加部署", "common_departments", Kind.LIST),
        ),
        unique=("番号",),
    ),
    FileSchema(
        "dx_programme",
        "堺市DXの推進: これまでの取組・DX対象業務・DX PRO育成プログラム",
        (
            col("区分", "category"),
            col("項目", "item"),
            col("内容", "content"),
            col("数値", "value", Kind.OPT_COUNT),
            col("単位", "unit", Kind.OPT_TEXT),
            col("時期", "period", Kind.OPT_TEXT),
            col("開始日", "start", Kind.OPT_DATE),
            col("終了日", "end", Kind.OPT_DATE),
        ),
        unique=("区分", "項目"),
        checks=(check_dx_programme, date_order("dx_programme.csv", "開始日", "終了日")),
    ),
    FileSchema(
        "literacy_levels",
        "ICTリテラシーの向上: 取組イメージ",
        (
            col("取組", "initiative"),
            col("対象", "audience"),
            col("区分", "stage"),
            col("レベル", "level", choices=("わかる", "つかえる", "つくれる", "継続")),
            col("説明", "description"),
            col("要点", "points", Kind.LIST),
        ),
        unique=("レベル",),
    ),
    FileSchema(
        "digital_divide_plan",
        "デジタル・ディバイド対策: 令和5年度の取組",
        (
            col("柱", "pillar", choices=("興味をもってもらおう", "実際に触れてもらう")),
            col("柱の説明", "pillar_description"),
            col("番号", "number", Kind.OPT_TEXT),
            col("取組", "action"),
            col("詳細", "detail", Kind.OPT_TEXT),
            col("時期", "period", Kind.OPT_TEXT),
            col("回数", "sessions", Kind.OPT_COUNT),
            col("人数", "people", Kind.OPT_COUNT),
            col("令和5年度新規事業", "new_in_r5", Kind.FLAG),
        ),
        unique=("取組",),
    ),
    FileSchema(
        "digital_divide_r4",
        "デジタル・ディバイド対策: ポスター・チラシのR4実績",
        (
            col("媒体", "medium"),
            col("掲示・配架先", "placement"),
            col("数", "count", Kind.COUNT),
            col("単位", "unit"),
        ),
        unique=("媒体", "掲示・配架先"),
    ),
    FileSchema(
        "literacy_strategy",
        "ICTリテラシーの向上: ICT戦略における目的・課題①②③・取組①②③",
        (
            col("区分", "category", choices=("目的", "課題", "取組")),
            col("番号", "number", Kind.OPT_TEXT, choices=("", "①", "②", "③")),
            col("見出し", "heading"),
            col("説明", "lines", Kind.OPT_TEXT),
        ),
        unique=("区分", "番号"),
    ),
    FileSchema(
        "digital_divide_overview",
        "デジタル・ディバイド対策: 取組の概要",
        (
            col("項目", "item"),
            col("内容", "content"),
        ),
        unique=("項目",),
    ),
)
SCHEMA_BY_NAME: dict[str, FileSchema] = {s.name: s for s in SCHEMAS}
#: Checks that need more than one file: (files they read, check).
CROSS_CHECKS: tuple[tuple[tuple[str, ...], Callable[[Mapping[str, pd.DataFrame]], list[SeedIssue]]], ...] = (
    (("online_procedures", "online_procedures_facts"), check_facts_against_table),
    (("standardization_systems", "standardization_hard_systems"), check_hard_systems),
)
