"""``python -m services.standardization export|import|alerts``: the workbook and the due alerts from a
shell, as an administrator (recorded in the audit trail as the CLI)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from services.kernel.calendar import today_jst
from services.kernel.cli import ArgumentParser, CliError, open_for_cli, read_input, report
from services.kernel.settings import TIMEZONE
from services.people.identity import system_actor
from services.standardization.excel import ImportRefused
from services.standardization.service import (
    StandardizationError,
    StandardizationService,
    export_xlsx,
    import_xlsx,
)
from storage.base import TableStore


def main(argv: Sequence[str] | None = None, *, store: TableStore | None = None) -> int:
    parser = ArgumentParser(
        prog="python -m services.standardization",
        description="業務システムの標準化: Excel の出力・取込、通知の確認",
    )
    parser.add_argument("--as-of", type=date.fromisoformat, help="基準日（既定: 今日、日本時間）")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="Excel（.xlsx）に書き出します")
    export.add_argument("out", type=Path)
    load = sub.add_parser(
        "import", help="書き換えた Excel（.xlsx）を取り込みます（すべてか、何も取り込まないか）"
    )
    load.add_argument("file", type=Path)
    sub.add_parser("alerts", help="基準日に送るお知らせを一覧にします")
    args = parser.parse_args(argv)
    opened = open_for_cli(store, create=args.command == "import")
    if opened is None:
        return 2
    settings, store = opened
    as_of = args.as_of or today_jst()
    service = StandardizationService(
        store, lambda: datetime.now(TIMEZONE), alert_days=settings.standardization_alert_days
    )
    actor = system_actor("標準化 CLI", "cli")
    if args.command == "export":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(export_xlsx(service, actor.person, as_of))
        print(f"出力しました: {args.out}")
        return 0
    if args.command == "import":
        try:
            summary = import_xlsx(service, actor, read_input(args.file), args.file.name)
        except CliError as error:  # missing, unreadable or too large: not read
            return report(error)
        except ImportRefused as refused:
            lines = "\n".join(str(i) for i in refused.issues)
            print(f"取り込めませんでした（何も変更していません）:\n{lines}", file=sys.stderr)
            return 1
        except StandardizationError as error:
            print(f"取り込めませんでした（何も変更していません）: {error}", file=sys.stderr)
            return 1
        print(summary)
        return 0
    for alert in service.due_alerts(as_of):
        how_long = f" {alert.overdue.label}" if alert.overdue else ""
        print(
            f"{alert.due} {alert.kind.value} {alert.number} {alert.operation} {alert.bureau or '所管未設定'} "
            f"{alert.step}{how_long}"
        )
    return 0
