"""The roster file (CSV or .xlsx, header ``オブジェクトID,氏名,局,部,課・室,ロール,ロール対象``): its
validation, row by row, into the people it describes, and the result of an import."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.kernel.tabular import ImportIssue, ImportRejected, read_table, split_header
from services.people.identity import (
    OrgUnit,
    Role,
    RoleGrant,
    RoleSource,
    clean_name,
    is_object_id,
    normalise_object_id,
    parse_role,
)
from services.people.organisation import Organisation

ROSTER_COLUMNS = ("オブジェクトID", "氏名", "局", "部", "課・室", "ロール", "ロール対象")
_ROLE_CHOICES = "管理者 / 局担当 / DX PRO / 管理職 / 職員"


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    what: str  # 組織 | 名簿
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    revoked: int = 0  # roles the re-import took away
    untouched: int = 0  # people on the roster who are not in the file (left as they were)
    details: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def summary(self) -> str:
        if self.what == "組織":
            if not self.changed:
                return f"組織ファイルを確認しました。変更はありません（{self.unchanged}件）。"
            return (
                f"組織を取り込みました: 追加 {self.created}件・削除 {self.removed}件・"
                f"変更なし {self.unchanged}件。"
            )
        if not self.changed:
            return f"名簿ファイルを確認しました。変更はありません（{self.unchanged}人）。"
        text = (
            f"名簿を取り込みました: 新規 {self.created}人・更新 {self.updated}人・変更なし {self.unchanged}人"
        )
        if self.revoked:
            text += f"・取り消したロール {self.revoked}件"
        return text + "。"


@dataclass
class Desired:
    """One person as a roster file wants them: the first row's number, name and unit, and the roles."""

    row: int
    name: str
    unit: OrgUnit
    grants: list[RoleGrant] = field(default_factory=list)


def parse_roster(data: bytes, filename: str, org: Organisation) -> dict[str, Desired]:
    """The people a roster file describes, by object id, each with the roles its rows give.

    All or nothing: any problem raises :class:`ImportRejected` with every issue (row and column)."""
    body = split_header(read_table(data, filename), ROSTER_COLUMNS)
    issues: list[ImportIssue] = []
    desired: dict[str, Desired] = {}
    seen_grants: dict[tuple[str, tuple[str, str]], int] = {}
    c_id, c_name, c_bureau, c_dept, c_section, c_role, c_scope = ROSTER_COLUMNS
    for number, cells in body:
        raw_id, name, bureau, department, section, raw_role, raw_scope = (clean_name(c) for c in cells)
        before = len(issues)

        def issue(message: str, column: str, number: int = number) -> None:
            issues.append(ImportIssue(message, number, column))

        oid = normalise_object_id(raw_id)
        if not oid:
            issue("オブジェクトIDが空です", c_id)
        elif not is_object_id(oid):
            issue(
                "オブジェクトIDは GUID（xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx）で"
                f'書いてください（"{raw_id}"）',
                c_id,
            )
        if not name:
            issue("氏名が空です", c_name)
        unit: OrgUnit | None = None
        if not bureau:
            issue("局が空です", c_bureau)
        elif OrgUnit(bureau) not in org:
            issue(f"局「{bureau}」は組織にありません", c_bureau)
        elif section and not department:
            issue("課・室を書く行には部も書いてください", c_dept)
        elif department and OrgUnit(bureau, department) not in org:
            issue(f"部「{bureau}/{department}」は組織にありません", c_dept)
        elif section and OrgUnit(bureau, department, section) not in org:
            issue(f"課・室「{bureau}/{department}/{section}」は組織にありません", c_section)
        else:
            unit = OrgUnit(bureau, department, section)
        role: Role | None = None
        if not raw_role:
            issue(f"ロールが空です（{_ROLE_CHOICES}）", c_role)
        else:
            try:
                role = parse_role(raw_role)
            except ValueError:
                issue(f'ロールは {_ROLE_CHOICES} のいずれかです（"{raw_role}"）', c_role)
        scope: OrgUnit | None = None
        if raw_scope:
            try:
                scope = OrgUnit.parse(raw_scope)
            except ValueError:
                issue(
                    f'ロール対象は「局」「局/部」「局/部/課・室」の形で書いてください（"{raw_scope}"）',
                    c_scope,
                )
            else:
                if scope not in org:
                    issue(f"ロール対象「{scope.path}」は組織にありません", c_scope)
                    scope = None
        if len(issues) > before or role is None or unit is None:
            continue
        if not raw_scope:
            if role is Role.DX_PRO:
                if not unit.department:
                    issue(
                        "DX PRO のロール対象が空で、部も空です（ロール対象に「局/部」を書いてください）",
                        c_scope,
                    )
                    continue
                scope = OrgUnit(unit.bureau, unit.department)
            elif role in (Role.BUREAU_CONTACT, Role.MANAGER):
                scope = OrgUnit(unit.bureau)
        grant = RoleGrant(role, scope, RoleSource.ROSTER)
        problem = grant.scope_problem()
        if problem:
            issue(problem, c_scope)
            continue
        first = desired.get(oid)
        if first is None:
            first = desired[oid] = Desired(number, name, unit)
        else:
            if first.name != name:
                issue(
                    f"{first.row}行目と氏名が違います（同じオブジェクトIDの行は同じ氏名・所属で書いてください）",
                    c_name,
                )
                continue
            if first.unit != unit:
                issue(
                    f"{first.row}行目と所属が違います（同じオブジェクトIDの行は同じ氏名・所属で書いてください）",
                    c_bureau,
                )
                continue
        key = (oid, grant.key)
        if key in seen_grants:
            issue(f"{seen_grants[key]}行目と重複しています（{grant.label}）", c_role)
            continue
        seen_grants[key] = number
        if role is not Role.STAFF:
            first.grants.append(grant)
    if issues:
        raise ImportRejected(issues)
    return desired
