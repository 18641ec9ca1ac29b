"""The rules of マイナンバー情報総点検: classification, the matrix, and what a card may submit.

Each ``apply_*`` function takes an operation and the values a card submitted (strings, as Teams
sends them) and returns the changed operation and the errors by input id; nothing is saved here.
Free text is masked (``services.kernel.privacy``) before it lands in an operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

from services.kernel import numbers
from services.kernel.privacy import mask_my_number
from services.mynumber.models import (
    Bucket,
    Cause,
    ChecklistEntry,
    ChecklistKind,
    ChecklistStatus,
    Classification,
    FullCheck,
    Item,
    LeakCheck,
    LinkMethod,
    Matrix,
    Mislinks,
    Operation,
    Publication,
    PublicationStatus,
    StepStatus,
    Viewed,
)

MAX_COUNT_DIGITS = 9
MAX_TEXT = 500
MAX_ITEMS = 40
YES, NO = "yes", "no"

# --- classification ---------------------------------------------------------------------------------


def classify(operation: Operation, threshold: int) -> Classification | None:
    """None until every item is answered. An operation needs a full-data check unless every item
    links by system auto-link, identity documents or a four-item query; its record count is that
    of the items linked otherwise (the material's note), or of every item when none is."""
    if not operation.fully_answered:
        return None
    others = [i for i in operation.items if i.method is not None and not i.method.qualifies]
    counted = others or list(operation.items)
    records = sum(i.records or 0 for i in counted)
    return Classification(bool(others), records, Bucket.LARGE if records >= threshold else Bucket.SMALL)


def matrix(operations: Iterable[Operation], threshold: int) -> Matrix:
    cells = {
        (False, Bucket.LARGE): 0,
        (False, Bucket.SMALL): 0,
        (True, Bucket.LARGE): 0,
        (True, Bucket.SMALL): 0,
    }
    unclassified = 0
    for op in operations:
        c = classify(op, threshold)
        if c is None:
            unclassified += 1
        else:
            cells[(c.needs_full_check, c.bucket)] += 1
    return Matrix(
        cells[(False, Bucket.LARGE)],
        cells[(False, Bucket.SMALL)],
        cells[(True, Bucket.LARGE)],
        cells[(True, Bucket.SMALL)],
        threshold,
        unclassified,
    )


def is_target(operation: Operation, threshold: int) -> bool:
    c = classify(operation, threshold)
    return c is not None and c.needs_full_check


# --- parsing ------------------------------------------------------------------------------------------


def parse_count(text: object, *, required: bool) -> tuple[int | None, str]:
    """A count (the shared reading: NFKC, ASCII digits, commas, a trailing 件); blank stays blank."""
    if required:
        return numbers.parse_count(text, required=True, max_digits=MAX_COUNT_DIGITS)
    return numbers.parse_optional_count(text, max_digits=MAX_COUNT_DIGITS)


def parse_date(text: object) -> tuple[date | None, str]:
    raw = str(text or "").strip()
    if not raw:
        return None, ""
    try:
        return date.fromisoformat(raw[:10]), ""
    except ValueError:
        return None, f"日付の形式が正しくありません（入力: {raw[:20]}）"


def clean_text(text: object, limit: int = MAX_TEXT) -> str:
    """Trimmed, inner whitespace collapsed, cut at ``limit``, any My Number masked."""
    return mask_my_number(" ".join(str(text or "").split())[:limit])


def parse_flag(text: object) -> bool | None:
    value = str(text or "").strip().lower()
    return True if value == YES else False if value == NO else None


def flag_value(flag: bool | None) -> str:
    return "" if flag is None else YES if flag else NO


def _choice(enum_type, text: object):  # noqa: ANN001, ANN202 - small enum lookup
    value = str(text or "").strip()
    return next((member for member in enum_type if member.value == value), None)


# --- the survey ---------------------------------------------------------------------------------------

SURVEY_FIELDS = ("method", "other", "app", "others", "records")


def survey_id(item: Item, name: str) -> str:
    return f"{item.id}_{name}"


def apply_survey(
    op: Operation, values: Mapping[str, str], by: str, today: date
) -> tuple[Operation, dict[str, str]]:
    errors: dict[str, str] = {}
    items = []
    touched = 0
    for item in op.items:
        v = {f: str(values.get(survey_id(item, f)) or "").strip() for f in SURVEY_FIELDS}
        if not any(v.values()):
            items.append(item)
            continue
        touched += 1
        method = _choice(LinkMethod, v["method"])
        if method is None:
            errors[survey_id(item, "method")] = "紐付け方法を選んでください"
        other = clean_text(v["other"], 200)
        if method is LinkMethod.OTHER and not other:
            errors[survey_id(item, "other")] = "「その他」の場合は紐付け方法を入力してください"
        records, problem = parse_count(v["records"], required=True)
        if problem:
            errors[survey_id(item, "records")] = problem
        changed = replace(
            item,
            method=method,
            method_text=other if method is LinkMethod.OTHER else "",
            number_on_application=parse_flag(v["app"]),
            from_others=parse_flag(v["others"]),
            records=records,
        )
        if _survey_values(changed) != _survey_values(item):
            changed = replace(changed, answered_by=by, answered_on=today)
        items.append(changed)
    if not touched:
        errors["_form"] = "少なくとも1つの情報について回答してください"
    return replace(op, items=tuple(items)), errors


def _survey_values(item: Item) -> tuple:
    return (item.method, item.method_text, item.number_on_application, item.from_others, item.records)


def survey_values(op: Operation) -> dict[str, str]:
    values = {}
    for item in op.items:
        values[survey_id(item, "method")] = item.method.value if item.method else ""
        values[survey_id(item, "other")] = item.method_text
        values[survey_id(item, "app")] = flag_value(item.number_on_application)
        values[survey_id(item, "others")] = flag_value(item.from_others)
        values[survey_id(item, "records")] = "" if item.records is None else str(item.records)
    return values


# --- the inspection ① ② ③ and publication ---------------------------------------------------------------

INSPECTION_FIELDS = (
    "s1_status",
    "s1_due",
    "in_scope",
    "checked",
    "s2_status",
    "s2_due",
    "found",
    "corrected",
    "causes",
    "cause_text",
    "s3_status",
    "s3_due",
    "viewed",
    "action",
    "pub_status",
    "pub_date",
)


def inspection_values(op: Operation) -> dict[str, str]:
    f, m, leak, pub = op.full_check, op.mislinks, op.leak_check, op.publication

    def n(value: int | None) -> str:
        return "" if value is None else str(value)

    def d(value: date | None) -> str:
        return value.isoformat() if value else ""

    return {
        "s1_status": f.status.value,
        "s1_due": d(f.due),
        "in_scope": n(f.in_scope),
        "checked": n(f.checked),
        "s2_status": m.status.value,
        "s2_due": d(m.due),
        "found": n(m.found),
        "corrected": n(m.corrected),
        "causes": ",".join(c.value for c in m.causes),
        "cause_text": m.cause_text,
        "s3_status": leak.status.value,
        "s3_due": d(leak.due),
        "viewed": leak.viewed.value if leak.viewed else "",
        "action": leak.action,
        "pub_status": pub.status.value,
        "pub_date": d(pub.published_on),
    }


def apply_inspection(op: Operation, values: Mapping[str, str]) -> tuple[Operation, dict[str, str]]:
    v = {k: str(values.get(k) or "").strip() for k in INSPECTION_FIELDS}
    errors: dict[str, str] = {}

    def count(name: str) -> int | None:
        value, problem = parse_count(v[name], required=False)
        if problem:
            errors[name] = problem
        return value

    def day(name: str) -> date | None:
        value, problem = parse_date(v[name])
        if problem:
            errors[name] = problem
        return value

    def status(name: str) -> StepStatus:
        return _choice(StepStatus, v[name]) or StepStatus.NOT_STARTED

    in_scope, checked = count("in_scope"), count("checked")
    found, corrected = count("found"), count("corrected")
    if in_scope is not None and checked is not None and checked > in_scope:
        errors["checked"] = f"点検済み件数（{checked:,}件）は点検対象件数（{in_scope:,}件）以下にしてください"
    elif checked is not None and in_scope is None:
        errors["in_scope"] = "点検済み件数を入力する場合は、点検対象件数も入力してください"
    s1 = status("s1_status")
    if s1 is StepStatus.DONE and "checked" not in errors and (in_scope is None or checked != in_scope):
        errors["checked"] = "①を完了にするには、点検対象のすべてを点検済みにしてください"
    if found is not None and corrected is not None and corrected > found:
        errors["corrected"] = f"修正件数（{corrected:,}件）は誤紐付け件数（{found:,}件）以下にしてください"
    elif corrected is not None and found is None:
        errors["found"] = "修正件数を入力する場合は、誤紐付け件数も入力してください"
    causes = tuple(c for c in Cause if c.value in {x.strip() for x in v["causes"].split(",")})
    cause_text = clean_text(v["cause_text"], 200)
    if found and not causes:
        errors["causes"] = "誤紐付けがある場合は、原因を選んでください"
    if Cause.OTHER in causes and not cause_text:
        errors["cause_text"] = "原因に「その他」を選んだ場合は、内容を入力してください"
    s2 = status("s2_status")
    if s2 is StepStatus.DONE and found and (corrected or 0) < found:
        errors["corrected"] = "②を完了にするには、見つかった誤紐付けをすべて修正してください"
    viewed = _choice(Viewed, v["viewed"])
    s3 = status("s3_status")
    action = clean_text(v["action"])
    if s3 is StepStatus.DONE and viewed is None:
        errors["viewed"] = "③を完了にするには、閲覧の有無を選んでください"
    pub_status = _choice(PublicationStatus, v["pub_status"]) or PublicationStatus.NOT_YET
    pub_date = day("pub_date")
    if pub_status is PublicationStatus.PUBLISHED and pub_date is None and "pub_date" not in errors:
        errors["pub_date"] = "公表済みの場合は公表日を入力してください"
    new = replace(
        op,
        full_check=FullCheck(s1, day("s1_due"), in_scope, checked, op.full_check.audit),
        mislinks=Mislinks(
            s2,
            day("s2_due"),
            found,
            corrected,
            causes,
            cause_text if Cause.OTHER in causes else "",
            op.mislinks.audit,
        ),
        leak_check=LeakCheck(s3, day("s3_due"), viewed, action),
        publication=Publication(pub_status, pub_date if pub_status is PublicationStatus.PUBLISHED else None),
    )
    return new, errors


# --- the recurrence-prevention checklist -----------------------------------------------------------------


def checklist_id(kind: ChecklistKind, name: str) -> str:
    return f"{kind.value}_{name}"


def checklist_values(op: Operation) -> dict[str, str]:
    values = {}
    for kind in ChecklistKind:
        e = op.entry(kind)
        values[checklist_id(kind, "owner")] = e.owner
        values[checklist_id(kind, "status")] = e.status.value
        values[checklist_id(kind, "due")] = e.due.isoformat() if e.due else ""
        values[checklist_id(kind, "note")] = e.note
    return values


def apply_checklist(op: Operation, values: Mapping[str, str]) -> tuple[Operation, dict[str, str]]:
    errors: dict[str, str] = {}
    entries = []
    for kind in ChecklistKind:
        owner = clean_text(values.get(checklist_id(kind, "owner")), 60)
        status = (
            _choice(ChecklistStatus, values.get(checklist_id(kind, "status"))) or ChecklistStatus.NOT_STARTED
        )
        due, problem = parse_date(values.get(checklist_id(kind, "due")))
        if problem:
            errors[checklist_id(kind, "due")] = problem
        note = clean_text(values.get(checklist_id(kind, "note")), 300)
        if status in (ChecklistStatus.IN_PROGRESS, ChecklistStatus.DONE) and not owner:
            errors[checklist_id(kind, "owner")] = "対応中・完了の項目には担当を入力してください"
        if status is ChecklistStatus.IN_PROGRESS and due is None and not problem:
            errors[checklist_id(kind, "due")] = "対応中の項目には期限を入力してください"
        entries.append(ChecklistEntry(kind, owner, status, due, note))
    return replace(op, checklist=tuple(entries)), errors


# --- registering an operation ----------------------------------------------------------------------


def parse_item_names(text: object) -> tuple[list[str], str]:
    """One item per line (or separated by 、/,); duplicates and blanks dropped; (names, error)."""
    names: list[str] = []
    for part in re.split(r"[\n\r、,，]+", str(text or "")):
        name = clean_text(part, 100)
        if name and name not in names:
            names.append(name)
    if not names:
        return [], "情報を1行に1つずつ入力してください"
    if len(names) > MAX_ITEMS:
        return [], f"情報は1つの事務につき{MAX_ITEMS}件までです"
    return names, ""


def items_from_names(names: Iterable[str], existing: Iterable[Item] = ()) -> tuple[Item, ...]:
    """Items for ``names``, keeping the answers of those that already exist (matched by name)."""
    known = {i.name: i for i in existing}
    used = {int(i.id[1:]) for i in known.values() if i.id[1:].isdigit()}
    next_id = max(used, default=0) + 1
    items = []
    for name in names:
        if name in known:
            items.append(known[name])
        else:
            items.append(Item(f"i{next_id}", name))
            next_id += 1
    return tuple(items)
