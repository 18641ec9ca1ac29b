"""The people command-line interface: the admin cards' operations for the server and for scripts
(``.venv/bin/python -m services.people --help``). It reads the same settings as the app, acts as an
administrator named ``CLI（<login name>）``, and every change lands in the audit trail."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from services.kernel.cli import ArgumentParser, CliError, read_input, report
from services.kernel.tabular import ImportRejected
from services.people.identity import Actor, OrgUnit, RoleGrant, parse_role, system_actor
from services.people.records import PeopleError
from services.people.service import PeopleService
from storage.base import TableStore

#: Commands that only read: on a store that does not exist yet they say so instead of creating it.
READ_ONLY = frozenset({"list", "requests", "export-audit"})
NO_STORE_HINT = "先に make run で一度起動するか、import-org / import-roster で取り込んでください。"


def _cli_actor() -> Actor:
    import getpass

    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return system_actor(f"CLI（{user}）", "cli")


def _parse_scope(text: str | None) -> OrgUnit | None:
    return OrgUnit.parse(text) if text else None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付は YYYY-MM-DD で指定してください: {text}") from None


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="python -m services.people",
        description="ICT推進ボットの組織・名簿・ロール・監査ログ（アプリと同じ設定 DATA_DIR / "
        "AZURE_TABLES_CONNECTION_STRING を使います）",
    )
    sub = parser.add_subparsers(dest="command", required=True, title="コマンド", metavar="COMMAND")
    p = sub.add_parser("import-org", help="組織ファイル（CSV/.xlsx、列: 局,部,課・室）を取り込む")
    p.add_argument("file", type=Path, help="取り込むファイル")
    p = sub.add_parser("import-roster", help="名簿ファイル（CSV/.xlsx）を取り込む")
    p.add_argument("file", type=Path, help="取り込むファイル")
    p = sub.add_parser("list", help="名簿とロールの一覧")
    p.add_argument("--role", help="このロールの人だけ（admin, dx_pro, 管理者 など）")
    p = sub.add_parser("grant", help="ロールを付与する")
    p.add_argument("object_id", help="職員のオブジェクトID（Entra ID）")
    p.add_argument("role", help="admin | bureau_contact | dx_pro | manager | staff（日本語名も可）")
    p.add_argument("scope", nargs="?", help="ロール対象: 局 / 局/部 / 局/部/課・室")
    p.add_argument("--reason", default="", help="理由（変更履歴に残ります）")
    p.add_argument("--name", default="", help="名簿にない人を新しく登録するときの氏名")
    p = sub.add_parser("revoke", help="ロールを取り消す")
    p.add_argument("object_id", help="職員のオブジェクトID（Entra ID）")
    p.add_argument("role", help="取り消すロール")
    p.add_argument("scope", nargs="?", help="ロール対象: 局 / 局/部 / 局/部/課・室")
    p.add_argument("--reason", default="", help="理由（変更履歴に残ります）")
    p = sub.add_parser("requests", help="未処理の登録依頼の一覧")
    p = sub.add_parser("export-audit", help="期間の監査ログを Excel に書き出す")
    p.add_argument("--from", dest="start", type=_date, required=True, help="開始日 YYYY-MM-DD（日本時間）")
    p.add_argument("--to", dest="end", type=_date, required=True, help="終了日 YYYY-MM-DD（この日を含む）")
    p.add_argument("--out", type=Path, required=True, help="書き出す .xlsx ファイル")
    sub.add_parser("sync-graph", help="Microsoft Graph から名簿を同期する（GRAPH_* の設定が必要）")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    store: TableStore | None = None,
    clock: Callable[[], datetime] | None = None,
    graph_session: Any = None,
) -> int:
    from services.kernel.settings import TIMEZONE, settings_or_report

    args = build_parser().parse_args(argv)
    settings = settings_or_report()
    if settings is None:
        return 2
    own_store = store is None
    if store is None:
        from storage import StoreMissing, open_store

        try:
            store = open_store(
                data_dir=settings.data_dir,
                azure_connection_string=settings.azure_tables_connection_string,
                create=args.command not in READ_ONLY,  # reading never leaves an empty database behind
            )
        except StoreMissing as missing:
            return report(CliError(f"名簿がまだありません（{missing.path} がありません）。{NO_STORE_HINT}"))
    clock = clock or (lambda: datetime.now(TIMEZONE))
    people = PeopleService(store, clock)
    actor = _cli_actor()
    try:
        return _run(args, people, actor, settings, graph_session)
    except CliError as error:
        return report(error)
    except ImportRejected as error:
        print(
            f"取り込めませんでした（何も変更していません）: {len(error.issues)}件の問題\n{error}",
            file=sys.stderr,
        )
        return 1
    except (PeopleError, ValueError) as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    finally:
        if own_store:
            store.close()


def _run(
    args: argparse.Namespace, people: PeopleService, actor: Actor, settings: Any, graph_session: Any
) -> int:
    admin = actor.person
    if args.command in ("import-org", "import-roster"):
        data = read_input(args.file)
        importer = people.import_organisation if args.command == "import-org" else people.import_roster
        result = importer(actor, data, args.file.name)
        print(result.summary())
        for line in result.details:
            print(f"  {line}")
        if result.untouched:
            print(f"  ファイルにない登録者 {result.untouched}人は変更していません。")
        return 0
    if args.command == "list":
        wanted = parse_role(args.role) if args.role else None
        for person in people.everyone(admin):
            if wanted is not None and not person.has(wanted):
                continue
            unit = person.unit.path if person.unit else "-"
            print(f"{person.object_id}\t{person.name}\t{unit}\t{person.roles_label}")
        return 0
    if args.command == "grant":
        person = people.grant(
            actor,
            args.object_id,
            RoleGrant(parse_role(args.role), _parse_scope(args.scope)),
            etag=None,
            reason=args.reason,
            create_name=args.name,
        )
        print(f"{person.name}（{person.object_id}）: {person.roles_label}")
        return 0
    if args.command == "revoke":
        person = people.revoke(
            actor,
            args.object_id,
            parse_role(args.role),
            _parse_scope(args.scope),
            etag=None,
            reason=args.reason,
        )
        print(f"{person.name}（{person.object_id}）: {person.roles_label}")
        return 0
    if args.command == "requests":
        for request in people.pending_requests(admin):
            print(
                f"{request.object_id}\t{request.name}\t{request.requested_unit}\t"
                f"{request.requested_at.isoformat(timespec='minutes')}\t{request.message}"
            )
        return 0
    if args.command == "export-audit":
        count = people.audit.export_xlsx(admin, args.start, args.end, args.out)
        print(f"監査ログ {count}件を {args.out} に書き出しました（{args.start}〜{args.end}、日本時間）。")
        return 0
    if args.command == "sync-graph":
        from services.people.graph_sync import GraphDirectory

        if not settings.graph_enabled:
            print(
                "エラー: GRAPH_TENANT_ID・GRAPH_CLIENT_ID・GRAPH_CLIENT_SECRET を設定してください。",
                file=sys.stderr,
            )
            return 2
        directory = GraphDirectory.from_settings(settings, session=graph_session)
        report = people.apply_directory(actor, directory.users())
        print(report.summary())
        return 0
    raise AssertionError(args.command)
