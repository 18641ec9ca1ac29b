"""Benchmark of the My Number linkage audit: speed against the read floor, memory, and accuracy.

``.venv/bin/python bench/audit.py [--registry 820000] [--records 800000] [--encoding utf-8|cp932]``

1. Generates the inputs with ground truth (``bench/audit_data.py``) in a temporary folder.
2. The floor: only reading both files (the same reader the audit uses), best of ``--repeat``.
3. The full audit: files in, verdicts and candidates out (read, map, normalise, match, rank),
   best of ``--repeat``; the ratio to the floor; records per second.
4. Peak memory (RSS high-water mark of a child process that runs one full audit).
5. Accuracy against the truth: precision and recall of the records whose number is wrong
   (誤紐付けの疑い, チェックデジット不正, 住基に存在しない), and the share of true mis-links whose
   right person is ranked first among the candidates.

Targets (issue 13): ratio ≤ 2.5 (aim 2.0), peak memory ≤ 1 GiB, precision and recall ≥ 0.99,
right person first ≥ 99%.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from bench.audit_data import MISLINK_KINDS, generate  # noqa: E402
from services.mynumber.audit import engine, reader  # noqa: E402
from services.mynumber.audit.run import audit_files  # noqa: E402
from services.mynumber.audit.worker import ALLOCATOR_ENVIRONMENT  # noqa: E402


def read_floor(registry: Path, records: Path, workdir: Path) -> float:
    start = time.perf_counter()
    reader.read_table(registry, workdir)
    reader.read_table(records, workdir)
    return time.perf_counter() - start


def full_audit(registry: Path, records: Path, workdir: Path) -> tuple[float, engine.AuditResult]:
    start = time.perf_counter()
    result = audit_files(registry, records, workdir)
    return time.perf_counter() - start, result


def accuracy(result: engine.AuditResult, truth_file: Path) -> dict[str, float]:
    truth = pl.read_csv(truth_file)
    joined = result.records.select("row", "record_id", "verdict").join(truth, on="record_id")
    wrong = pl.col("kind").is_in(list(MISLINK_KINDS))
    flagged = pl.col("verdict").is_in([v.value for v in engine.WRONG_NUMBER])
    tp = joined.filter(wrong & flagged).height
    fp = joined.filter(~wrong & flagged).height
    fn = joined.filter(wrong & ~flagged).height
    first = result.candidates.filter(pl.col("rank") == 1).select("row", pl.col("reg_row").alias("first"))
    mislinks = joined.filter(wrong).join(first, on="row", how="left")
    right_first = mislinks.filter(pl.col("first") == pl.col("reg_row")).height
    return {
        "true_wrong": joined.filter(wrong).height,
        "flagged": tp + fp,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "right_person_first": right_first / mislinks.height if mislinks.height else 1.0,
    }


def peak_memory_mib(registry: Path, records: Path, workdir: Path) -> float:
    """One full audit in a fresh process; its RSS high-water mark in MiB.

    Read as ``VmHWM`` of the child's own address space: ``ru_maxrss`` would also count the pages the
    child shared with this (large) process between fork and exec."""
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[4]);"
        "from services.mynumber.audit.run import audit_files;"
        "audit_files(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]));"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(registry), str(records), str(workdir), str(ROOT)],
        env={**os.environ, **ALLOCATOR_ENVIRONMENT},
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=int, default=820_000)
    parser.add_argument("--records", type=int, default=800_000)
    parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "cp932"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="audit-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        injected = generate(folder, args.registry, args.records, args.seed, args.encoding)
        print(
            f"generated {args.registry:,} registry rows and {args.records:,} records "
            f"({args.encoding}) in {time.perf_counter() - started:.1f} s; injected {injected}"
        )
        registry, records = folder / "registry.csv", folder / "records.csv"
        work = folder / "work"
        work.mkdir()
        floors, audits, result = [], [], None
        for _ in range(args.repeat):  # interleaved, best of each
            floors.append(read_floor(registry, records, work))
            seconds, result = full_audit(registry, records, work)
            audits.append(seconds)
        assert result is not None
        floor, full = min(floors), min(audits)
        peak = peak_memory_mib(registry, records, work)
        figures = {
            "registry_rows": args.registry,
            "records": args.records,
            "encoding": args.encoding,
            "read_floor_s": round(floor, 3),
            "full_audit_s": round(full, 3),
            "ratio": round(full / floor, 2),
            "records_per_s": round(args.records / full),
            "peak_rss_mib": round(peak),
            **{
                k: (round(v, 4) if isinstance(v, float) else v)
                for k, v in accuracy(result, folder / "truth.csv").items()
            },
            "counts": {str(k): v for k, v in result.counts().items()},
            "self_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    print(
        f"read floor      {floor:8.3f} s   (best of {args.repeat}: {', '.join(f'{s:.3f}' for s in floors)})"
    )
    print(f"full audit      {full:8.3f} s   (best of {args.repeat}: {', '.join(f'{s:.3f}' for s in audits)})")
    print(f"ratio           {figures['ratio']:8.2f}     (target ≤ 2.5, aim 2.0)")
    print(f"records/s       {figures['records_per_s']:8,}")
    print(f"peak memory     {figures['peak_rss_mib']:8,} MiB (one audit in a fresh process; target ≤ 1024)")
    print(
        f"precision       {figures['precision']:8.4f}   recall {figures['recall']:.4f}   "
        f"(wrong numbers: {figures['true_wrong']:,} true, {figures['flagged']:,} flagged)"
    )
    print(f"right person 1st {figures['right_person_first']:7.4f}")
    print("verdicts        " + ", ".join(f"{k} {v:,}" for k, v in figures["counts"].items()))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
