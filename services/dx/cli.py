"""``python -m services.dx export|alerts|reminders``: the Excel file and what the scheduler would send today,
from a shell, as an administrator (reads only; nothing is sent)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from services.dx.excel import export_xlsx
from services.dx.plans import PlanService
from services.dx.proactive import DxAlerts, DxReminders
from services.dx.training import TrainingService
from services.kernel.cli import ArgumentParser, open_for_cli
from services.kernel.settings import TIMEZONE
from services.people.identity import system_actor
from services.people.service import PeopleService
from storage.base import TableStore


def main(argv: Sequence[str] | None = None, *, store: TableStore | None = None) -> int:
    from services.kernel.calendar import today_jst

    parser = ArgumentParser(
        prog="python -m services.dx", description="堺市DX: Excel の出力、その日の通知・研修リマインダーの確認"
    )
    parser.add_argument("--as-of", type=date.fromisoformat, help="基準日（既定: 今日、日本時間）")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "export", help="DX実行計画・参加部署・研修の記録を Excel（.xlsx）に書き出します"
    ).add_argument("out", type=Path)
    sub.add_parser("alerts", help="基準日に送る計画のお知らせを一覧にします")
    sub.add_parser("reminders", help="基準日に送る研修のお知らせを一覧にします")
    args = parser.parse_args(argv)
    opened = open_for_cli(store, create=args.command == "import")
    if opened is None:
        return 2
    settings, store = opened
    as_of = args.as_of or today_jst()

    def clock() -> datetime:
        return datetime.now(TIMEZONE)

    plans, training = PlanService(store, clock), TrainingService(store, clock)
    actor = system_actor("堺市DX CLI", "cli")
    if args.command == "export":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(export_xlsx(actor.person, plans, training, as_of))
        print(f"出力しました: {args.out}")
        return 0
    if args.command == "alerts":
        source = DxAlerts(plans, PeopleService(store, clock).admin_ids, settings.dx_review_alert_days)
    else:
        source = DxReminders(training, plans, settings.dx_training_reminder_days)
    alerts = source.due_alerts(as_of)
    for alert in alerts:
        where = f"個人チャット {alert.person}" if alert.person else f"{alert.bureau}/{alert.department}"
        print(f"{alert.title}\t{where}\t{alert.key}")
    print(f"{as_of.isoformat()}: {len(alerts)}件")
    return 0
