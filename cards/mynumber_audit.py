"""Cards of the linkage audit (全データ点検) in Teams: waiting for the two files, the column mapping to
confirm, the run started, its progress, the summary, and the notices. Pure functions; Japanese.

Numbers only ever appear masked (the summary's items carry ``********1234`` from the engine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from cards.common import (
    MAX_CARD_BYTES,
    adaptive_card,
    card_size_bytes,
    error_banner,
    fact_set,
    header,
    japanese_date,
    notice,
    submit_action,
    text_block,
)
from services.mynumber.models import AuditFileChoice, AuditSummary

ICON = "🔎"
TITLE = "全データ点検（紐付け監査）"
K = "mynumber."
START_VERB = K + "audit"
RUN_VERB = K + "audit_run"
SWAP_VERB = K + "audit_swap"
CANCEL_VERB = K + "audit_cancel"
REPORT_VERB = K + "audit_report"
OPERATION_VERB = K + "operation"
ROLE_LABELS = {"registry": "住基データ", "records": "業務データ"}
NONE_CHOICE = "（使わない）"
MIN_CHOICES = 12  # columns offered per file at the least (more when they fit the card's size)
MAX_TOP = 10


def input_id(role: str, field: str) -> str:
    return f"{role}__{field}"


def _subtitle(op_name: str, unit_path: str) -> str:
    return f"{op_name}（{unit_path}）"


def _back(op_data: Mapping[str, str]) -> dict:
    return submit_action("事務に戻る", OPERATION_VERB, dict(op_data))


def waiting_card(
    op_name: str,
    unit_path: str,
    received: Sequence[tuple[str, str]],
    op_data: Mapping[str, str],
    *,
    max_mb: int,
    wait_minutes: int,
    message: str = "",
    error: str = "",
) -> dict:
    """Asks for the files; ``received`` lists (role, file name) already saved."""
    body = [*header(TITLE, _subtitle(op_name, unit_path), ICON)]
    if error:
        body.append(error_banner(error))
    if message:
        body.append(notice(message))
    have = dict(received)
    body.append(fact_set([(ROLE_LABELS[r], f"✅ {have[r]}" if r in have else "未受信") for r in ROLE_LABELS]))
    body.append(
        text_block(
            "このチャットに、次の2つのファイルを添付して送ってください（1つずつでも、2つ同時でも構いません）。\n"
            "1. 住基データ（住民基本台帳の抽出）\n"
            "2. 業務システムのデータ（点検する事務の記録）\n"
            "CSV（UTF-8 または Shift_JIS）か Excel で、1行目が見出しです。ファイル名に「住基」を含めると"
            "住基データとして扱います（含めない場合は送った順）。取り違えても次のカードで入れ替えられます。"
        )
    )
    body.append(
        text_block(
            f"1ファイル {max_mb} MB まで。受け取ったファイルは点検の後（失敗した場合も）すぐに削除し、"
            f"保存しません。{wait_minutes}分以内に送られない場合は取りやめます。",
            isSubtle=True,
            size="Small",
        )
    )
    return adaptive_card(body, [submit_action("取りやめる", CANCEL_VERB, dict(op_data)), _back(op_data)])


def column_value(file: AuditFileChoice, header: str) -> str:
    """What a choice submits for ``header``: its position in the file (short, whatever the header)."""
    return str(file.headers.index(header)) if header in file.headers else ""


def receiving_card(op_name: str, unit_path: str, names: Sequence[str], op_data: Mapping[str, str]) -> dict:
    """Answered at once while the files download in the background."""
    body = [
        *header("ファイルを受け取っています", _subtitle(op_name, unit_path), ICON),
        text_block("\n".join(f"- {n}" for n in names)),
        text_block(
            "大きなファイルは数分かかることがあります。受け取ると、次のカードをお送りします。",
            isSubtle=True,
            size="Small",
        ),
    ]
    return adaptive_card(body, [submit_action("取りやめる", CANCEL_VERB, dict(op_data))])


def _choices(file: AuditFileChoice, limit: int) -> list[str]:
    chosen = [h for h in file.columns.values() if h]
    rest = [h for h in file.headers if h not in chosen]
    return list(dict.fromkeys([*chosen, *rest]))[:limit]


def mapping_card(
    op_name: str,
    unit_path: str,
    files: Sequence[AuditFileChoice],
    labels: Mapping[str, str],
    op_data: Mapping[str, str],
    *,
    errors: Mapping[str, str] | None = None,
    message: str = "",
) -> dict:
    """One ChoiceSet per field and file, pre-selected; unsure ones highlighted; errors in place.

    The choices are the file's columns (the detected ones first); a very wide file offers as many as
    fit the card's size limit, and the card says so."""
    limit = max([len(f.headers) for f in files] + [1])
    while True:
        card = _mapping_card(op_name, unit_path, files, labels, op_data, errors or {}, message, limit)
        if limit <= MIN_CHOICES or card_size_bytes(card) < MAX_CARD_BYTES - 2048:
            return card
        limit = max(MIN_CHOICES, limit * 3 // 4)


def _mapping_card(
    op_name: str,
    unit_path: str,
    files: Sequence[AuditFileChoice],
    labels: Mapping[str, str],
    op_data: Mapping[str, str],
    errors: Mapping[str, str],
    message: str,
    limit: int,
) -> dict:
    body = [*header("列の対応を確認してください", _subtitle(op_name, unit_path), ICON)]
    if message:
        body.append(error_banner(message))
    elif errors:
        body.append(error_banner("列の対応を確認してください。点検はまだ始まっていません。"))
    body.append(
        text_block(
            "見出しから推定した対応です。⚠️ の項目は推定に自信がありません。違っていれば選び直してから"
            "「この対応で点検する」を押してください。",
            size="Small",
        )
    )
    for file in files:
        body.append(
            text_block(
                f"{ROLE_LABELS[file.role]}: {file.name}",
                weight="Bolder",
                size="Medium",
                separator=True,
                spacing="Medium",
            )
        )
        offered = _choices(file, limit)
        if len(offered) < len(file.headers):
            body.append(
                text_block(
                    f"列が {len(file.headers)} あるため、選択肢は {len(offered)} 列までです"
                    "（ほかの列を使うときは、不要な列を削除したファイルを送ってください）。",
                    isSubtle=True,
                    size="Small",
                )
            )
        options = [{"title": NONE_CHOICE, "value": ""}] + [
            {"title": _cut(h), "value": column_value(file, h)} for h in offered
        ]
        for field, label in labels.items():
            key = input_id(file.role, field)
            unsure = field in file.unsure
            required = field in file.required
            title = f"{label}{'（必須）' if required else ''}{'　⚠️ 要確認' if unsure else ''}"
            element: dict = {
                "type": "Input.ChoiceSet",
                "id": key,
                "label": title,
                "style": "compact",
                "choices": options,
                "value": column_value(file, file.columns.get(field, "")),
            }
            if unsure:
                body.append({"type": "Container", "style": "warning", "items": [element]})
            else:
                body.append(element)
            if key in errors:
                body.append(text_block(f"⚠️ {errors[key]}", color="Attention", size="Small", spacing="None"))
    actions = [
        submit_action("この対応で点検する", RUN_VERB, dict(op_data), style="positive"),
        submit_action("住基と業務を入れ替える", SWAP_VERB, dict(op_data)),
        submit_action("取りやめる", CANCEL_VERB, dict(op_data)),
    ]
    return adaptive_card(body, actions)


def _cut(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def started_card(
    op_name: str, unit_path: str, files: Sequence[AuditFileChoice], labels: Mapping[str, str]
) -> dict:
    """The confirmed mapping, read-only, once the run has started."""
    body = [*header("点検を始めました", _subtitle(op_name, unit_path), ICON)]
    for file in files:
        facts = [(labels[f], h) for f, h in file.columns.items() if h and f in labels]
        body += [
            text_block(f"{ROLE_LABELS[file.role]}: {file.name}", weight="Bolder", separator=True),
            fact_set(facts),
        ]
    body.append(
        text_block("進み具合は、下のカードでお知らせします。終わると結果に変わります。", isSubtle=True)
    )
    return adaptive_card(body)


def progress_card(op_name: str, unit_path: str, stage: str, done: float, elapsed_seconds: float) -> dict:
    percent = max(0, min(100, round(done * 100)))
    filled = percent // 5
    bar = "■" * filled + "□" * (20 - filled)
    minutes, seconds = divmod(int(elapsed_seconds), 60)
    body = [
        *header("点検中です", _subtitle(op_name, unit_path), ICON),
        fact_set(
            [("段階", stage), ("進み具合", f"{bar} {percent}%"), ("経過", f"{minutes}分{seconds:02d}秒")]
        ),
        text_block(
            "このカードは自動で更新されます。点検中も、ほかの操作はいつもどおり使えます。",
            isSubtle=True,
            size="Small",
        ),
    ]
    return adaptive_card(body)


def summary_card(summary: AuditSummary, op_data: Mapping[str, str], *, report_minutes: int) -> dict:
    s = summary
    body = [
        *header("点検が終わりました", f"{s.operation}（{s.unit}）・{japanese_date(s.run_on)}", ICON),
        fact_set(
            [
                ("点検した記録", f"{s.records:,}件（住基 {s.registry_rows:,}件と照合）"),
                (
                    "番号の誤りの疑い",
                    f"{s.wrong_numbers:,}件（誤紐付けの疑い・チェックデジット不正・住基に存在しない）",
                ),
                ("点検番号", s.run_id),
            ]
        ),
        text_block("判定ごとの件数", weight="Bolder", separator=True, spacing="Medium"),
        fact_set([(verdict, f"{count:,}件") for verdict, count in s.counts]),
    ]
    if s.top:
        body.append(
            text_block("主な記録（番号は伏せています）", weight="Bolder", separator=True, spacing="Medium")
        )
        body.append(
            {
                "type": "Table",
                "firstRowAsHeader": True,
                "columns": [{"width": 2}, {"width": 3}, {"width": 2}, {"width": 3}],
                "rows": [
                    _row(["記録", "判定", "違う項目", "個人番号"], bold=True),
                    *[
                        _row([rid, verdict, differs, masked])
                        for rid, verdict, differs, masked in s.top[:MAX_TOP]
                    ],
                ],
            }
        )
    if s.attach_failed:
        body.append(error_banner(s.attached))
    elif s.attached:
        body.append(notice(s.attached))
    body.append(
        text_block(
            "結果の Excel（概要・誤紐付けの疑い・チェックデジット不正・住基に存在しない・要確認・候補・設定）"
            "は、"
            f"{report_minutes}分以内に「Excel で受け取る」で受け取ってください。ボットには保存していません。",
            isSubtle=True,
            size="Small",
        )
    )
    actions = [
        submit_action("Excel で受け取る", REPORT_VERB, {**op_data, "run": s.run_id}, style="positive"),
        _back(op_data),
    ]
    return adaptive_card(body, actions)


def _row(cells: Sequence[str], bold: bool = False) -> dict:
    return {
        "type": "TableRow",
        "cells": [
            {
                "type": "TableCell",
                "items": [
                    text_block(c or "－", weight="Bolder") if bold else text_block(c or "－", size="Small")
                ],
            }
            for c in cells
        ],
    }


def failed_card(op_name: str, unit_path: str, problem: str, op_data: Mapping[str, str]) -> dict:
    body = [
        *header("点検できませんでした", _subtitle(op_name, unit_path), ICON),
        error_banner(problem),
        text_block(
            "受け取ったファイルは削除しました。ファイルを直して、もう一度「全データ点検」から送ってください。",
            isSubtle=True,
        ),
    ]
    return adaptive_card(body, [submit_action("もう一度点検する", START_VERB, dict(op_data)), _back(op_data)])


def notice_card(
    title: str, message: str, op_data: Mapping[str, str] | None = None, *, attention: bool = False
) -> dict:
    body = [*header(title, TITLE, ICON), error_banner(message) if attention else notice(message)]
    actions = [_back(op_data)] if op_data else []
    return adaptive_card(body, actions)


def expires_text(expires: datetime) -> str:
    return f"{japanese_date(expires.date())} {expires:%H:%M}"
