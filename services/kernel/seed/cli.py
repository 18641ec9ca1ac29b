"""The seed's command-line interface: ``.venv/bin/python -m services.kernel.seed check [DATA_DIR]``
validates the seed files and prints a one-line summary (``make check-seed``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from services.kernel.cli import ArgumentParser
from services.kernel.seed.checks import FORMS_TOTAL
from services.kernel.seed.loader import load_seed
from services.kernel.seed.model import DEFAULT_DATA_DIR, SeedError


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="python -m services.kernel.seed", description="初期データ（data/ の CSV）の確認"
    )
    sub = parser.add_subparsers(dest="command", required=True, title="コマンド", metavar="COMMAND")
    check = sub.add_parser("check", help="すべての CSV を検証し、1行の要約を表示する")
    check.add_argument(
        "data_dir", nargs="?", default=str(DEFAULT_DATA_DIR), help="CSV のフォルダ（既定: data/）"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from services.kernel.privacy import install_log_masking

    install_log_masking()  # no My Number reaches a log line, whatever logs it
    args = build_parser().parse_args(argv)
    try:
        seed = load_seed(args.data_dir)
    except SeedError as exc:
        print(f"シードデータにエラーがあります ({len(exc.issues)} 件):\n{exc}", file=sys.stderr)
        return 1
    forms = int(seed.online_procedures[FORMS_TOTAL].iloc[-1])
    files, rows = len(seed.frames), seed.row_count
    print(f"シードデータ OK: {files} ファイル・{rows} 行（帳票数 総計 {forms:,}）: {args.data_dir}")
    return 0
