"""Every card of 全データ点検 in Teams (cards/mynumber_audit.py), with large inputs (many columns,
long names, every verdict, ten items) for the schema and size checks in ``test_schema.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from cards import mynumber_audit as cards
from services.mynumber.audit.engine import Verdict
from services.mynumber.audit.reader import FIELD_LABELS, REQUIRED, detect_mapping
from services.mynumber.models import AuditFileChoice, AuditSummary

OP = ("住民基本台帳ネットワークシステムを用いた本人確認情報の照会事務" * 2, "財政局/税務部/市民税課")
DATA = {"bureau": "財政局", "operation": "0a1b2c3d"}
REGISTRY = ["個人番号", "氏名", "氏名カナ", "生年月日", "性別", "住所", "住民状態"]
RECORDS = ["宛名番号", "個人番号(12桁)", "氏名", "カナ氏名", "生年月日", "性別", "住所"]
# a wide business extract: 60 columns with long headers (the card offers 40 of them)
WIDE = RECORDS + [f"業務システム独自の管理項目その{n:02d}（旧システムからの移行値）" for n in range(53)]


def _choice(role: str, name: str, headers: list[str]) -> AuditFileChoice:
    mapping = detect_mapping(headers, role)
    columns = {f: "" for f in FIELD_LABELS} | dict(mapping.columns)
    return AuditFileChoice(role, name, tuple(headers), columns, mapping.unsure, REQUIRED[role])


def _files(wide: bool = False) -> list[AuditFileChoice]:
    return [
        _choice("registry", "住基抽出_令和5年9月_全件" * 3 + ".csv", REGISTRY),
        _choice("records", "業務データ_市民税_全件" * 3 + ".xlsx", WIDE if wide else RECORDS),
    ]


def _summary(attach_failed: bool = False) -> AuditSummary:
    counts = tuple((v.value, 123_456 + i) for i, v in enumerate(Verdict))
    top = tuple(
        (f"A{n:07d}", Verdict.MISLINK.value, "生年月日・性別・氏名カナ", "********1234") for n in range(10)
    )
    return AuditSummary(
        "0123456789ab",
        date(2023, 9, 20),
        OP[0],
        OP[1],
        800_000,
        820_000,
        counts,
        top,
        4321,
        "点検記録 ①② に反映できませんでした（理由）。" if attach_failed else "① と ② に反映しました。",
        attach_failed,
    )


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    yield "audit:waiting", lambda: cards.waiting_card(*OP, [], DATA, max_mb=120, wait_minutes=60)
    yield (
        "audit:waiting+one+error",
        lambda: cards.waiting_card(
            *OP,
            [("records", "業務データ.csv")],
            DATA,
            max_mb=120,
            wait_minutes=60,
            message="3つ目以降のファイルは使いません。",
            error="住基.csv: ファイルが大きすぎます（120 MB まで）。",
        ),
    )
    yield "audit:mapping", lambda: cards.mapping_card(*OP, _files(), FIELD_LABELS, DATA)
    yield (
        "audit:mapping+wide+errors",
        lambda: cards.mapping_card(
            *OP,
            _files(wide=True),
            FIELD_LABELS,
            DATA,
            errors={cards.input_id("records", f): "生年月日の列を選んでください" for f in FIELD_LABELS},
            message="ほかの点検を実行中です。終わってから、もう一度ファイルを送ってください。",
        ),
    )
    yield "audit:started", lambda: cards.started_card(*OP, _files(wide=True), FIELD_LABELS)
    yield "audit:progress", lambda: cards.progress_card(*OP, "正規化と照合", 0.45, 754.2)
    yield "audit:summary", lambda: cards.summary_card(_summary(), DATA, report_minutes=60)
    yield "audit:summary+attach-failed", lambda: cards.summary_card(_summary(True), DATA, report_minutes=60)
    yield "audit:failed", lambda: cards.failed_card(*OP, "列が見つかりません: 生年月日", DATA)
    yield "audit:notice", lambda: cards.notice_card("点検中です", "あなたの点検を実行中です。", DATA)
    yield (
        "audit:notice+attention",
        lambda: cards.notice_card("Excel を受け取れません", "期限切れ", DATA, attention=True),
    )
