"""``python -m services.online_procedures export|import|alerts``: the Excel table and the due alerts
from a shell, as an administrator (recorded in the audit trail as the CLI). It reads the app's store
and never creates one: a store that was never seeded is reported, not made."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from services.kernel.calendar import today_jst
from services.kernel.cli import ArgumentParser, CliError, read_input, report
from services.kernel.seed import SEED_TABLE
from services.kernel.settings import TIMEZONE, Settings, settings_or_report
from services.online_procedures.excel import ImportRefused
from services.online_procedures.service import OnlineProceduresError, OnlineProceduresService
from services.people.identity import system_actor
from storage.base import TableStore

NOT_SEEDED = (
    "初期データがまだありません。"
    "先に make run（または .venv/bin/python app.py --seed）で一度起動してください。"
)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"日付は YYYY-MM-DD で指定してください: {text}") from None


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="python -m services.online_procedures",
        description="行政手続きオンライン化: Excel の出力・取込、遅れ通知の確認",
    )
    parser.add_argument("--as-of", help="基準日 YYYY-MM-DD（既定: 今日、日本時間）")
    sub = parser.add_subparsers(dest="command", required=True, title="コマンド", metavar="COMMAND")
    export = sub.add_parser("export", help="表を Excel（.xlsx）に書き出す")
    export.add_argument("out", type=Path, help="書き出す .xlsx ファイル")
    export.add_argument("--seed", action="store_true", help="会議資料（2023年8月8日）の表をそのまま書き出す")
    load = sub.add_parser("import", help="書き換えた表（.xlsx）を取り込む")
    load.add_argument("file", type=Path, help="取り込む .xlsx ファイル")
    sub.add_parser("alerts", help="基準日に届く遅れ通知の一覧")
    return parser


def _open(settings: Settings) -> TableStore:
    from storage import StoreMissing, open_store

    try:
        return open_store(
            data_dir=settings.data_dir,
            azure_connection_string=settings.azure_tables_connection_string,
            create=False,
        )
    except StoreMissing as missing:
        raise CliError(f"{NOT_SEEDED}（{missing.path} がありません）") from None


def main(argv: Sequence[str] | None = None, *, store: TableStore | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_or_report()
    if settings is None:
        return 2
    own_store = store is None
    try:
        as_of = _date(args.as_of) if args.as_of else today_jst()
        if store is None:
            store = _open(settings)
        if not any(True for _ in store.query(SEED_TABLE, "online_procedures")):
            raise CliError(NOT_SEEDED)
        service = OnlineProceduresService(
            store,
            lambda: datetime.now(TIMEZONE),
            alert_days=settings.online_procedures_alert_days,
            escalation_days=settings.online_procedures_escalation_days,
        )
        return _run(args, service, as_of)
    except CliError as error:
        return report(error)
    finally:
        if own_store and store is not None:
            store.close()


def _run(args: argparse.Namespace, service: OnlineProceduresService, as_of: date) -> int:
    actor = system_actor("オンライン化 CLI", "cli")
    if args.command == "export":
        data = service.export_xlsx(actor.person, as_of, seed=args.seed)
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_bytes(data)
        except OSError as error:
            raise CliError(f"書き出せません: {args.out}（{error.strerror or error}）", 1) from None
        print(f"出力しました: {args.out}")
        return 0
    if args.command == "import":
        data = read_input(args.file)
        try:
            result = service.import_xlsx(actor, data, as_of, args.file.name)
        except (ImportRefused, OnlineProceduresError) as error:
            print(f"取り込めませんでした（何も変更していません）:\n{error}", file=sys.stderr)
            return 1
        print(result.summary)
        return 0
    for alert in service.due_alerts(as_of):
        kind = "エスカレーション" if alert.escalation else "遅れ通知"
        print(
            f"{alert.due_on} {kind} {alert.bureau} {alert.period.label} 遅れ {alert.delayed}件 "
            f"key={'|'.join(alert.key)}"
        )
    return 0
