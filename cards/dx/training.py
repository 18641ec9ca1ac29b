"""The DX PRO training programme: menu, sessions and enrolment, session form, records, データアカデミー."""

from __future__ import annotations

from collections.abc import Sequence

from cards.common import (
    adaptive_card,
    error_banner,
    fact_set,
    header,
    japanese_date,
    notice,
    submit_action,
    text_block,
)
from cards.dx.common import (
    ACADEMY,
    ASSIGN,
    ATTENDANCE,
    CANCEL,
    DEPARTMENT,
    ENROL,
    HOME,
    ICON,
    MAX_PEOPLE,
    SESSION,
    SESSION_FORM,
    SESSION_SAVE,
    STAGE,
    TITLE,
    TRAINING,
    WATCHED,
    _buttons,
    _section,
    _short_status,
)
from services.dx.models import (
    AcademyStage,
    AcademyTeam,
    Course,
    PersonCourse,
    Session,
)

# --- training ------------------------------------------------------------------------------------


def _session_line(session: Session, course: Course | None) -> str:
    where = session.place or "オンライン"
    title = course.title if course else session.course
    return (
        f"{title}: {japanese_date(session.day)} {session.start}～{session.end}・{where}・"
        f"残り {session.seats_left}席"
        + (f"（キャンセル待ち {len(session.waiting)}人）" if session.waiting else "")
    )


def training_card(
    courses: Sequence[Course],
    sessions: Sequence[Session],
    mine: Sequence[PersonCourse],
    *,
    admin: bool = False,
    message: str = "",
) -> dict:
    by_key = {c.key: c for c in courses}
    body = [*header("DX PRO育成プログラム", "研修メニュー（会議資料より）・日程・あなたの受講状況", ICON)]
    if message:
        body.append(notice(message))
    body.append(_section("研修メニュー"))
    for c in courses:
        body.append(
            text_block(
                f"・{c.title}【{c.format.value}】 対象: {c.audience_label}・{c.months}",
                size="Small",
                spacing="None",
            )
        )
    body.append(_section("これからの日程"))
    if not sessions:
        body.append(text_block("公開中の日程はありません。", isSubtle=True, size="Small"))
    for s in sessions[:15]:
        body.append(
            {
                "type": "ColumnSet",
                "spacing": "Small",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [text_block(_session_line(s, by_key.get(s.course)), size="Small")],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [
                            _buttons(submit_action("詳細・申込", SESSION, {"session_id": s.session_id}))
                        ],
                    },
                ],
            }
        )
    body.append(_section("あなたの受講状況"))
    for pc in mine:
        due = f"（視聴期限 {japanese_date(pc.due)}）" if pc.due else ""
        row = [
            {
                "type": "Column",
                "width": "stretch",
                "items": [text_block(f"{pc.course.title}: {pc.status}{due}", size="Small")],
            }
        ]
        if pc.course.is_video and pc.status == "未視聴":
            row.append(
                {
                    "type": "Column",
                    "width": "auto",
                    "items": [_buttons(submit_action("視聴済みにする", WATCHED, {"course": pc.course.key}))],
                }
            )
        body.append({"type": "ColumnSet", "spacing": "None", "columns": row})
    actions = [submit_action("データアカデミー", ACADEMY)]
    if admin:
        body.append(_buttons(submit_action("日程を追加", SESSION_FORM)))
    return adaptive_card(body, [*actions, submit_action("全体の状況", HOME)])


def session_card(
    session: Session,
    course: Course,
    *,
    me: str = "",
    names: dict[str, str] | None = None,
    admin: bool = False,
    message: str = "",
    warning: str = "",
) -> dict:
    names = names or {}
    body = [*header(f"{course.title}【{course.format.value}】", f"対象: {course.audience_label}", ICON)]
    if warning:
        body.append(error_banner(warning))
    if message:
        body.append(notice(message))
    facts = [
        ("日時", f"{japanese_date(session.day)} {session.start}～{session.end}"),
        ("場所", session.place or "オンライン"),
        (
            "定員",
            f"{session.capacity}人（申込 {len(session.enrolled)}人・残り {session.seats_left}席・"
            f"キャンセル待ち {len(session.waiting)}人）",
        ),
    ]
    if me in session.enrolled:
        facts.append(("あなた", "申込済み" + ("・出席" if me in session.attended else "")))
    elif me in session.waiting:
        facts.append(("あなた", f"キャンセル待ち {session.waiting.index(me) + 1}番目"))
    body.append(fact_set(facts))
    body.append(text_block(course.summary, size="Small", isSubtle=True))
    if session.link:
        body.append(_buttons({"type": "Action.OpenUrl", "title": "オンラインで参加", "url": session.link}))
    data = {"session_id": session.session_id}
    actions = []
    if me and (me in session.enrolled or me in session.waiting):
        actions.append(submit_action("申込を取り消す", CANCEL, data))
    else:
        actions.append(submit_action("申し込む", ENROL, data, style="positive"))
    if admin and session.enrolled:
        body.append(_section("出席の記録（管理者）"))
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": "attended",
                "isMultiSelect": True,
                "style": "expanded",
                "label": "出席した人",
                "value": ",".join(session.attended),
                "choices": [{"title": names.get(p, p), "value": p} for p in session.enrolled[:100]],
            }
        )
        body.append(_buttons(submit_action("出席を保存", ATTENDANCE, data)))
    return adaptive_card(body, [*actions, submit_action("研修の一覧", TRAINING)])


def session_form_card(
    courses: Sequence[Course], *, values: dict[str, str] | None = None, error: str = ""
) -> dict:
    values = values or {}
    body = [*header("研修の日程を追加", "管理者", ICON)]
    if error:
        body.append(error_banner(error))

    def value(name: str, element: dict) -> dict:
        if values.get(name):
            element["value"] = values[name]
        return element

    body += [
        value(
            "course",
            {
                "type": "Input.ChoiceSet",
                "id": "course",
                "label": "研修",
                "style": "compact",
                "isRequired": True,
                "errorMessage": "研修を選んでください",
                "choices": [{"title": c.title, "value": c.key} for c in courses],
            },
        ),
        value(
            "day",
            {
                "type": "Input.Date",
                "id": "day",
                "label": "日付",
                "isRequired": True,
                "errorMessage": "日付を入力してください",
            },
        ),
        value(
            "start",
            {
                "type": "Input.Time",
                "id": "start",
                "label": "開始",
                "isRequired": True,
                "errorMessage": "開始時刻を入力してください",
            },
        ),
        value(
            "end",
            {
                "type": "Input.Time",
                "id": "end",
                "label": "終了",
                "isRequired": True,
                "errorMessage": "終了時刻を入力してください",
            },
        ),
        value("place", {"type": "Input.Text", "id": "place", "label": "場所", "maxLength": 100}),
        value(
            "link",
            {
                "type": "Input.Text",
                "id": "link",
                "label": "オンラインのリンク（https://）",
                "maxLength": 500,
                "style": "Url",
            },
        ),
        value(
            "capacity",
            {
                "type": "Input.Number",
                "id": "capacity",
                "label": "定員",
                "min": 1,
                "isRequired": True,
                "errorMessage": "定員を入力してください",
            },
        ),
    ]
    if "capacity" in values and str(values["capacity"]).isdigit():
        body[-1]["value"] = int(values["capacity"])
    body.append(_section("動画の視聴期限"))
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "video",
            "label": "動画",
            "style": "compact",
            "choices": [{"title": c.title, "value": c.key} for c in courses if c.is_video],
        }
    )
    body.append(
        {
            "type": "Input.Date",
            "id": "video_due",
            "label": "視聴期限（過ぎると未視聴の方に個人チャットでお知らせ）",
        }
    )
    body.append(_buttons(submit_action("視聴期限を設定", ASSIGN)))
    return adaptive_card(
        body,
        [submit_action("日程を追加", SESSION_SAVE, style="positive"), submit_action("研修の一覧", TRAINING)],
    )


def department_training_card(
    bureau: str, department: str, courses: Sequence[Course], rows: Sequence[tuple[str, Sequence[str]]]
) -> dict:
    """Who in the department has done what: one line per person, one mark per course."""
    body = [*header(f"研修の受講状況: {bureau}/{department}", TITLE, ICON)]
    if not rows:
        body.append(text_block("名簿にこの部の方がいません。"))
    else:
        numbers = "①②③④⑤⑥⑦⑧⑨⑩"
        legend = "　".join(f"{numbers[i]} {c.title}" for i, c in enumerate(courses[: len(numbers)]))
        body.append(text_block(legend, isSubtle=True, size="Small"))
        body.append(
            text_block(
                "✅ 受講・視聴済み　📝 申込済み　⏳ キャンセル待ち　－ 未", isSubtle=True, size="Small"
            )
        )
        for name, statuses in rows[:MAX_PEOPLE]:
            marks = " ".join(
                f"{numbers[i]}{_short_status(x)}" for i, x in enumerate(statuses[: len(numbers)])
            )
            body.append(text_block(f"{name}　{marks}", size="Small", spacing="None"))
        if len(rows) > MAX_PEOPLE:
            body.append(text_block(f"ほか {len(rows) - MAX_PEOPLE}人", isSubtle=True, size="Small"))
    return adaptive_card(
        body,
        [
            submit_action("部署の計画", DEPARTMENT, {"bureau": bureau, "department": department}),
            submit_action("全体の状況", HOME),
        ],
    )


def academy_card(teams: Sequence[AcademyTeam], *, admin: bool = False, message: str = "") -> dict:
    body = [*header("データアカデミー", "実践型EBPM のグループワーク（対象業務は会議資料より）", ICON)]
    if message:
        body.append(notice(message))
    for k, team in enumerate(teams, start=1):
        steps = " → ".join(("✅" if team.stage >= s else "⬜") + s.label for s in list(AcademyStage)[1:])
        items = [
            text_block(f"{team.number} {team.work}", weight="Bolder"),
            fact_set(
                [
                    ("所管部署", "・".join(team.departments)),
                    ("共通参加", "・".join(team.common_departments)),
                    *([("参加", team.participation)] if team.participation else []),
                    ("段階", team.stage.label),
                    *([("メモ", team.note)] if team.note else []),
                ]
            ),
            text_block(steps, size="Small"),
        ]
        if admin:
            items += [
                {
                    "type": "Input.ChoiceSet",
                    "id": f"stage_{k}",
                    "label": "段階を更新",
                    "style": "compact",
                    "value": str(int(team.stage)),
                    "choices": [{"title": s.label, "value": str(int(s))} for s in AcademyStage],
                },
                {
                    "type": "Input.Text",
                    "id": f"note_{k}",
                    "label": "メモ（任意）",
                    "maxLength": 500,
                    **({"value": team.note} if team.note else {}),
                },
                _buttons(submit_action("更新", STAGE, {"number": team.number, "position": k})),
            ]
        body.append({"type": "Container", "separator": True, "items": items})
    return adaptive_card(body, [submit_action("研修", TRAINING), submit_action("全体の状況", HOME)])
