"""``python -m services.mynumber export|import|template|alerts``: the publication table, the import
of operations and items, an empty import file, and the alerts due on a date, from a shell, as an
administrator (changes are recorded in the audit trail as the CLI)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from services.kernel.calendar import today_jst
from services.kernel.cli import ArgumentParser, CliError, open_for_cli, read_input, report
from services.kernel.settings import TIMEZONE, Settings
from services.kernel.tabular import ImportRejected
from services.mynumber.excel import import_template_xlsx, publication_xlsx
from services.mynumber.service import MyNumberError, MyNumberService
from services.mynumber.sources import MyNumberAlerts
from services.people.identity import system_actor
from services.people.service import PeopleService
from storage.base import TableStore


def service_from(settings: Settings, store: TableStore) -> MyNumberService:
    return MyNumberService(
        store,
        lambda: datetime.now(TIMEZONE),
        threshold=settings.mynumber_threshold,
        survey_due=settings.mynumber_survey_due,
        interim_report=settings.mynumber_interim_report,
        completion=settings.mynumber_completion,
        warn_days=settings.mynumber_survey_warn_days,
    )


def main(argv: Sequence[str] | None = None, *, store: TableStore | None = None) -> int:
    parser = ArgumentParser(
        prog="python -m services.mynumber",
        description="マイナンバー情報総点検: 公表表の出力、事務と情報の取込、通知の確認",
    )
    parser.add_argument("--as-of", type=date.fromisoformat, help="基準日（既定: 今日、日本時間）")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="公表表を Excel（.xlsx）に書き出します")
    export.add_argument("out", type=Path)
    export.add_argument("--bureau", default="", help="局（既定: 市全体）")
    load = sub.add_parser(
        "import", help="事務と情報（.xlsx または CSV）を取り込みます（すべてか、何も取り込まないか）"
    )
    load.add_argument("file", type=Path)
    template = sub.add_parser("template", help="例を1行入れた空の取込ファイルを書き出します")
    template.add_argument("out", type=Path)
    sub.add_parser("alerts", help="基準日に送るお知らせを一覧にします")
    args = parser.parse_args(argv)
    opened = open_for_cli(store, create=args.command == "import")
    if opened is None:
        return 2
    settings, store = opened
    service = service_from(settings, store)
    as_of = args.as_of or today_jst()
    actor = system_actor("総点検 CLI", "cli")
    if args.command in ("export", "template"):
        args.out.parent.mkdir(parents=True, exist_ok=True)
        data = (
            publication_xlsx(service.publication_table(actor.person, args.bureau or None, as_of))
            if args.command == "export"
            else import_template_xlsx()
        )
        args.out.write_bytes(data)
        print(f"出力しました: {args.out}")
        return 0
    if args.command == "import":
        try:
            result = service.import_xlsx(actor, read_input(args.file), args.file.name)
        except CliError as error:  # missing, unreadable or too large: not read
            return report(error)
        except (ImportRejected, MyNumberError) as error:
            print(f"取り込めませんでした（何も変更していません）:\n{error}", file=sys.stderr)
            return 1
        print(result.text)
        return 0
    people = PeopleService(store, lambda: datetime.now(TIMEZONE))
    for alert in MyNumberAlerts(service, people).due_alerts(as_of):
        print(f"{alert.bureau} {alert.title} → {alert.person} key={alert.key}")
    return 0
