"""``python -m services.mynumber.audit REGISTRY RECORDS --out report.xlsx``: the audit from a terminal.

REGISTRY is the resident registry extract (住基), RECORDS the business system's extract; each a CSV
(UTF-8 or Shift_JIS) or an Excel file. The detected column mapping is printed; where a header is
unclear the command stops and asks for ``--yes`` (accept) or ``--map`` (choose).
"""

from __future__ import annotations

import os

# before polars is imported: give freed memory back at once (see worker.ALLOCATOR_ENVIRONMENT)
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

import argparse  # noqa: E402
import sys
import uuid
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from services.kernel.settings import TIMEZONE
from services.mynumber.audit import reader
from services.mynumber.audit.engine import Verdict
from services.mynumber.audit.normalise import variant_table
from services.mynumber.audit.report import ReportSettings, build_report
from services.mynumber.audit.run import audit_files, inspect, private_workdir, write_report


def _overrides(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or field not in reader.KNOWN_HEADERS:
            known = ", ".join(reader.KNOWN_HEADERS)
            raise reader.AuditInputError(
                f"--map は 項目=列名 の形で指定してください（項目: {known}）: {pair[:40]}"
            )
        out[field] = header
    return out


def _describe(label: str, mapping: reader.ColumnMapping) -> str:
    parts = [
        f"{reader.FIELD_LABELS[f]}←「{h}」{'（要確認）' if f in mapping.unsure else ''}"
        for f, h in mapping.columns.items()
    ]
    missing = "".join(f" {reader.FIELD_LABELS[f]}←（なし）" for f in mapping.missing)
    return f"{label}: " + "、".join(parts) + missing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.mynumber.audit",
        description="マイナンバー紐付けの全データ点検（業務データと住基データの照合）",
    )
    parser.add_argument("registry", type=Path, help="住基データ（CSV または Excel）")
    parser.add_argument("records", type=Path, help="業務システムのデータ（CSV または Excel）")
    parser.add_argument("--out", type=Path, required=True, help="結果の Excel ファイル")
    parser.add_argument(
        "--map-registry",
        action="append",
        default=[],
        metavar="項目=列名",
        help="住基データの列の対応を指定（例: name=漢字氏名）",
    )
    parser.add_argument(
        "--map-records",
        action="append",
        default=[],
        metavar="項目=列名",
        help="業務データの列の対応を指定（例: record_id=宛名番号）",
    )
    parser.add_argument("--yes", action="store_true", help="推定した列の対応をそのまま使う")
    parser.add_argument("--quiet", action="store_true", help="進み具合を表示しない")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for path in (args.registry, args.records):
        if not path.is_file():
            print(f"ファイルが見つかりません: {path}", file=sys.stderr)
            return 2
    started = datetime.now(TIMEZONE)
    try:
        registry_columns, records_columns = _overrides(args.map_registry), _overrides(args.map_records)
        with private_workdir() as work:
            mappings = []
            for path, kind, overrides, label in (
                (args.registry, "registry", registry_columns, "住基データ"),
                (args.records, "records", records_columns, "業務データ"),
            ):
                _, mapping = inspect(path, kind, work)
                mapping = mapping.with_overrides(overrides)
                print(_describe(label, mapping), file=sys.stderr)
                if mapping.missing:
                    print(
                        "必要な列が見つかりません。--map-" + kind + " で指定してください。", file=sys.stderr
                    )
                    return 2
                if mapping.unsure and not args.yes:
                    print(
                        "（要確認）の列があります。正しければ --yes を、違えば --map-"
                        + kind
                        + " を付けて実行し直してください。",
                        file=sys.stderr,
                    )
                    return 2
                mappings.append(mapping)
            bar = tqdm(
                total=100, disable=args.quiet, file=sys.stderr, bar_format="{desc} {bar} {percentage:3.0f}%"
            )

            def progress(stage: str, done: float) -> None:
                bar.n = round(done * 100)
                bar.set_description_str(stage)  # refreshes the bar

            result = audit_files(
                args.registry,
                args.records,
                work,
                registry_columns=dict(mappings[0].columns),
                records_columns=dict(mappings[1].columns),
                progress=progress,
            )
            bar.close()
    except reader.AuditInputError as error:
        print(f"点検できませんでした: {error}", file=sys.stderr)
        return 2
    settings = ReportSettings(
        uuid.uuid4().hex[:12],
        started,
        args.registry.name,
        args.records.name,
        dict(mappings[0].columns),
        dict(mappings[1].columns),
        len(variant_table()),
    )
    write_report(args.out, build_report(result, settings))  # whole or not at all
    counts = result.counts()
    print("判定: " + "、".join(f"{v.value} {counts[v]:,}件" for v in Verdict if counts[v]))
    print(f"結果を {args.out} に書き出しました。")
    return 0


if __name__ == "__main__":
    from services.kernel.privacy import install_log_masking

    install_log_masking()  # no My Number reaches a log line, whatever logs it
    sys.exit(main())
