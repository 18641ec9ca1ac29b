"""ICTリテラシー: the pure rules (no storage).

**Recommendations.** For each tool the next level is the one above the person's; the training
comes from the DX programme's training menu (``dx_training_menu.csv``) where one fits:

- わかる (any tool): 「堺市DXガイドブック」, the training the material gives to all staff;
- つかえる / つくれる of RPA: 「BPR」 (業務フローの作成と分析: what a robot automates);
- つかえる of データベース・Power Platform: 「データ活用」; its つくれる: 「データアカデミー」 (選抜);
- つかえる / つくれる of Teams and Microsoft 365, and of tools an admin added: nothing in the menu fits,
  so the card points to the M365 training videos and materials on the 庁内HP (the material: 「M365関連等の
  研修動画・資料を庁内HPで公開」) or, for other tools, to the ICTイノベーション推進室.

A menu entry missing from the seed is never recommended (the note is shown instead).

**Department gaps.** A manager sets, per tool, how many つかえる and つくれる people the department
needs (所管に必要な人材). つくれる people count as つかえる too. A gap is a need above the people it has.

**At risk.** A need that is met today but would not be once the people moving within
``horizon_days`` (a date the manager set per person) have left: e.g. the only つくれる person for
RPA moves on 4月1日. A move already past still counts as leaving until the roster moves the person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from services.literacy.models import (
    BUILD,
    LEVELS,
    USE,
    Assessment,
    LevelInfo,
    Move,
    Need,
    Recommendation,
    ToolGap,
    TrainingMenu,
    level_name,
)

GUIDEBOOK = "堺市DXガイドブック"
BPR = "BPR"
DATA = "データ活用"
ACADEMY = "データアカデミー"
M365_NOTE = (
    "DX研修メニューに該当する研修はありません。庁内HPで公開している M365 関連の研修動画・資料で"
    "学んでください。"
)
OTHER_NOTE = "DX研修メニューに該当する研修はありません。ICTイノベーション推進室にご相談ください。"
TOP_NOTE = "最上位の「つくれる」です。職場で知識の継承・定着に協力してください。"


def _kind(tool: str) -> str:
    t = tool.lower().replace(" ", "")
    if "teams" in t or "microsoft365" in t or "m365" in t:
        return "m365"
    if "rpa" in t:
        return "rpa"
    if "データベース" in t or "powerplatform" in t or t.startswith("db"):
        return "data"
    return "other"


def training_for(tool: str, level: int) -> tuple[str, str]:
    """(menu name, note) for reaching ``level`` (1..3) in ``tool``; one of them is ""."""
    kind = _kind(tool)
    if level == 1:
        return GUIDEBOOK, ""
    if kind == "rpa":
        return BPR, ""
    if kind == "data":
        return (DATA if level == USE else ACADEMY), ""
    return "", (M365_NOTE if kind == "m365" else OTHER_NOTE)


def recommend(
    tool: str, current: int, menu: Mapping[str, TrainingMenu], levels: Mapping[int, LevelInfo]
) -> Recommendation:
    """The next level of ``tool`` for somebody at ``current`` (0..3) and the training for it."""
    current = max(0, min(current, len(LEVELS)))
    if current >= BUILD:
        return Recommendation(tool, current, 0, note=TOP_NOTE)
    target = current + 1
    info = levels.get(target)
    description = info.description if info else level_name(target)
    name, note = training_for(tool, target)
    training = menu.get(name) if name else None
    if name and training is None:
        note = OTHER_NOTE
    return Recommendation(tool, current, target, description, training, note)


def _count(people: Iterable[Assessment], tool: str, level: int) -> list[Assessment]:
    return [p for p in people if p.level(tool) >= level]


def _leaving(moves: Sequence[Move], as_of: date, horizon_days: int) -> dict[str, Move]:
    limit = as_of + timedelta(days=horizon_days)
    return {m.object_id: m for m in moves if m.on <= limit}


def _jdate(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _risk(
    tool: str, label: str, level: int, needed: int, people: Sequence[Assessment], leaving: Mapping[str, Move]
) -> str:
    have = _count(people, tool, level)
    if not needed or len(have) < needed:
        return ""  # nothing needed, or already a gap (shown as such)
    going = [p for p in have if p.object_id in leaving]
    if len(have) - len(going) >= needed:
        return ""
    names = "、".join(f"{p.name}さん（{_jdate(leaving[p.object_id].on)}）" for p in going)
    only = "唯一の" if len(have) == 1 else ""
    return f"{label}人が不足する見込み: {only}「{label}」{len(going)}名が異動予定（{names}）、必要{needed}名"


def department_gaps(
    tools: Sequence[str],
    needs: Mapping[str, Need],
    people: Sequence[Assessment],
    moves: Sequence[Move],
    as_of: date,
    horizon_days: int,
) -> tuple[ToolGap, ...]:
    """One row per tool: need, people, gap, and why it is at risk."""
    leaving = _leaving(moves, as_of, horizon_days)
    rows = []
    for tool in tools:
        need = needs.get(tool, Need(tool))
        risks = [
            r
            for r in (
                _risk(tool, "つくれる", BUILD, need.build, people, leaving),
                _risk(tool, "つかえる", USE, need.use, people, leaving),
            )
            if r
        ]
        rows.append(
            ToolGap(
                tool,
                need.use,
                len(_count(people, tool, USE)),
                need.build,
                len(_count(people, tool, BUILD)),
                tuple(risks),
            )
        )
    return tuple(rows)
