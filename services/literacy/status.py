"""ICTリテラシー's line in the digests: the departments' gaps and risks (``status=`` of the registry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.literacy.service import LiteracyService
from services.proactive.digest import ProgrammeStatus, StatusItem, StatusLevel

TITLE = "ICTリテラシー"
ICON = "📚"
MAX_ITEMS = 15


@dataclass(frozen=True)
class LiteracyStatus:
    service: LiteracyService
    programme: str = "literacy"

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus:
        views = self.service.all_views(as_of, bureau)
        if not views:
            return ProgrammeStatus(
                self.programme,
                TITLE,
                ICON,
                StatusLevel.ON_TRACK,
                "所管に必要な人材（つかえる・つくれる）を設定した部はまだありません。",
            )
        items: list[StatusItem] = []
        for view in views:
            for row in view.rows:
                parts = []
                if row.use_short:
                    parts.append(
                        f"つかえる {row.use_short}名不足（必要{row.use_needed}・現在{row.use_have}）"
                    )
                if row.build_short:
                    parts.append(
                        f"つくれる {row.build_short}名不足（必要{row.build_needed}・現在{row.build_have}）"
                    )
                if parts:
                    items.append(
                        StatusItem(f"{view.label}: {row.tool}", "、".join(parts), bureau=view.bureau)
                    )
                for risk in row.at_risk:
                    items.append(
                        StatusItem(f"{view.label}: {row.tool}", risk, overdue=True, bureau=view.bureau)
                    )
        gaps = sum(len(v.gaps) for v in views)
        risks = sum(len(v.risks) for v in views)
        if not items:
            return ProgrammeStatus(
                self.programme,
                TITLE,
                ICON,
                StatusLevel.ON_TRACK,
                f"必要人材を設定した {len(views)} 部すべてで、必要な人数がそろっています。",
            )
        headline = (
            f"必要人材を設定した {len(views)} 部のうち、不足 {gaps} 件・異動による不足の見込み {risks} 件"
        )
        level = StatusLevel.OVERDUE if risks else StatusLevel.DELAYED
        return ProgrammeStatus(self.programme, TITLE, ICON, level, headline, tuple(items[:MAX_ITEMS]))
