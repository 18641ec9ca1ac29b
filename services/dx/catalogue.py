"""What the seed says about 堺市DX: the department target, the categories, the training menu and the
データアカデミー target businesses.

Read from the stored seed (table ``Seed``, partitions ``dx_programme``, ``dx_training_menu`` and
``dx_data_academy``) when the store has been seeded, otherwise from the CSV files in ``data/``.
The target (72 部署) is the 数値 of the row 「DX選定会議」, never a constant in code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from services.dx.models import AcademyTeam, Audience, Category, Course, CourseFormat
from services.kernel.seed import SeedError, load_seed, read_seed_frame
from storage.base import TableStore

SELECTION_MEETING = "DX選定会議"
TRAINING_ROW = "研修"
ACADEMY_ROW = "データアカデミー"
ALL_STAFF_ROW = "全職員向け"


@dataclass(frozen=True)
class Catalogue:
    target: int
    categories: tuple[tuple[Category, str], ...]  # (category, the material's examples)
    courses: tuple[Course, ...]
    academy: tuple[AcademyTeam, ...]

    def course(self, key: str) -> Course | None:
        return next((c for c in self.courses if c.key == key), None)


@functools.lru_cache(maxsize=1)
def _csv_frames() -> dict[str, Any]:
    seed = load_seed()
    return {name: seed[name] for name in ("dx_programme", "dx_training_menu", "dx_data_academy")}


def _frames(store: TableStore | None) -> dict[str, Any]:
    if store is not None:
        try:
            return {
                name: read_seed_frame(store, name)
                for name in ("dx_programme", "dx_training_menu", "dx_data_academy")
            }
        except SeedError:
            pass
    return _csv_frames()


def load_catalogue(store: TableStore | None = None) -> Catalogue:
    frames = _frames(store)
    programme = frames["dx_programme"]
    rows = {str(r["項目"]): r for _, r in programme.iterrows()}
    selection = rows.get(SELECTION_MEETING)
    if selection is None:
        raise SeedError([])
    target = int(selection["数値"])
    labels = {c.label: c for c in Category}
    categories = tuple(
        (labels[str(r["項目"])], str(r["内容"]))
        for _, r in programme.iterrows()
        if str(r["区分"]) == "DX対象業務" and str(r["項目"]) in labels
    )
    training_months = str(rows[TRAINING_ROW]["時期"]) if TRAINING_ROW in rows else ""
    academy_months = str(rows[ACADEMY_ROW]["時期"]) if ACADEMY_ROW in rows else ""
    all_staff_items = {str(r["項目"]) for _, r in programme.iterrows() if str(r["区分"]) == ALL_STAFF_ROW}
    courses = []
    for i, (_, r) in enumerate(frames["dx_training_menu"].iterrows()):
        title = str(r["研修メニュー"])
        fmt = {"動画": CourseFormat.VIDEO, "グループワーク": CourseFormat.GROUP_WORK}.get(
            str(r["形式"] or ""), CourseFormat.CLASSROOM
        )
        audiences = [
            a
            for a, col in (
                (Audience.DIRECTORS, "部長"),
                (Audience.DX_PROS, "DX PRO"),
                (Audience.SELECTED, "選抜"),
            )
            if bool(r[col])
        ]
        if any(item.startswith(title) for item in all_staff_items):
            audiences.append(Audience.ALL_STAFF)
        months = academy_months if fmt is CourseFormat.GROUP_WORK else training_months
        courses.append(Course(f"c{i + 1}", title, str(r["研修概要"]), fmt, tuple(audiences), months))
    academy = tuple(
        AcademyTeam(
            str(r["番号"]),
            str(r["対象業務"]),
            str(r["参加"] or ""),
            tuple(r["所管部署"]),
            tuple(r["共通参加部署"]),
        )
        for _, r in frames["dx_data_academy"].iterrows()
    )
    return Catalogue(target, categories, tuple(courses), academy)
