"""``python -m services.cashless export|import|alerts``: the registry workbook, the imports (the
indicator workbook or an edited registry, recognised by their header) and the due alerts, from a
shell as an administrator (recorded in the audit trail as the CLI)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from services.cashless.excel import WorkbookRefused, looks_like_registry
from services.cashless.models import Thresholds
from services.cashless.service import CashlessError, CashlessService
from services.kernel.calendar import today_jst
from services.kernel.cli import ArgumentParser, CliError, open_for_cli, read_input, report
from services.kernel.settings import TIMEZONE
from services.people.identity import system_actor
from services.people.organisation import load_organisation
from storage.base import TableStore


def main(argv: Sequence[str] | None = None, *, store: TableStore | None = None) -> int:
    parser = ArgumentParser(
        prog="python -m services.cashless",
        description="キャッシュレス: 債権一覧の出力、取込（決済手段別の実績・債権一覧）、通知の確認",
    )
    parser.add_argument("--as-of", type=date.fromisoformat, help="基準日（既定: 今日、日本時間）")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="債権一覧を Excel（.xlsx）に書き出します")
    export.add_argument("out", type=Path)
    load = sub.add_parser("import", help="決済手段別の実績、または書き換えた債権一覧（.xlsx）を取り込みます")
    load.add_argument("file", type=Path)
    sub.add_parser("alerts", help="基準日に送るお知らせを一覧にします")
    args = parser.parse_args(argv)
    opened = open_for_cli(store, create=args.command == "import")
    if opened is None:
        return 2
    settings, store = opened
    service = CashlessService(
        store,
        lambda: datetime.now(TIMEZONE),
        thresholds=Thresholds(settings.cashless_target_min_cases, settings.cashless_qr_max_unit_price),
        lead_months=settings.cashless_tender_lead_months,
        goal_2025=settings.cashless_goal_2025_percent,
        goal_2030=settings.cashless_goal_2030_percent,
        bureaus=lambda: [u.bureau for u in load_organisation(store).bureaus],
    )
    as_of = args.as_of or today_jst()
    actor = system_actor("キャッシュレス CLI", "cli")
    if args.command == "export":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(service.export_xlsx(actor.person, as_of))
        print(f"出力しました: {args.out}")
        return 0
    if args.command == "import":
        try:
            data = read_input(args.file)
        except CliError as error:  # missing, unreadable or too large: not read
            return report(error)
        try:
            if looks_like_registry(data):
                changed, added = service.import_registry(actor, data, args.file.name)
                print(f"債権一覧を取り込みました（変更 {changed}件・追加 {added}件）。")
            else:
                view = service.import_indicator(actor, data, args.file.name)
                print(f"決済手段別の件数・金額を取り込みました（{len(view.years)}年度分）。")
        except (WorkbookRefused, CashlessError) as error:
            print(f"取り込めませんでした（何も変更していません）:\n{error}", file=sys.stderr)
            return 1
        return 0
    for alert in service.due_alerts(as_of):
        print(
            f"{alert.due_on} {alert.kind.value} {alert.receivable_id} {alert.name} "
            f"{alert.bureau or '所管未設定'}"
        )
    return 0


if __name__ == "__main__":
    from services.kernel.privacy import install_log_masking

    install_log_masking()  # no My Number reaches a log line, whatever logs it
    raise SystemExit(main())
