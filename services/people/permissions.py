"""The one permission check. Every read and every write, in every dialog and service, asks here.

    decision = check(person, Action.WRITE, Resource.of(ResourceKind.ONLINE_PROCEDURES, bureau="健康福祉局"))
    require(person, Action.WRITE, resource)   # raises Forbidden; str(error) is the Japanese reason

A :class:`Resource` names a *kind* of record and where it belongs (bureau, department) or whose it
is (``owner``, an Entra object id). :data:`POLICIES` says, per kind, which relations to the
resource may read and which may write; an administrator may always do both, and whoever may
write may also read. Nobody else decides: dialogs call :func:`require` (or :func:`check` to
decide what to show) and turn :class:`Forbidden` into ``cards.menu.not_allowed_card(e.what, e.who)``.

Relations:

- ``EVERYONE``: any person, registered or not (unregistered people are staff);
- ``OWNER``: the person the record is about (``resource.owner``);
- ``MANAGER``: a manager whose scope covers the resource: a bureau manager reads the whole
  bureau; a department manager reads the department and the bureau-level records of its bureau;
- ``BUREAU_CONTACT``: a bureau contact of the resource's bureau (any unit of that bureau);
- ``DX_PRO_OF_BUREAU``: a DX PRO of *any* department of the resource's bureau (the online-
  procedures actuals: "only the bureau's own DX PROs and admins may submit");
- ``DX_PRO_OF_DEPARTMENT``: a DX PRO of the resource's department;
- ``UNIT_CONTACT``: a bureau contact whose scope contains the resource's unit (``bureau``, ``department``,
  ``section``): a bureau-wide contact covers the whole bureau, a section's contact only that section.

A bureau- or department-scoped kind asked about without a bureau means "all bureaus": only
``EVERYONE`` and administrators match then. Use ``ResourceKind.GENERAL`` for city-wide summaries
that everybody may read.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from services.people.identity import OrgUnit, Person, Role


class Action(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class ResourceKind(enum.StrEnum):
    GENERAL = "general"  # programme summaries, schedules, help: public to staff
    ONLINE_PROCEDURES = "online_procedures"  # per bureau: plans and quarterly actuals
    MYNUMBER = "mynumber"  # per bureau: inspection records
    # --- standardization ---
    STANDARDIZATION = "standardization"  # per bureau: the systems' steps, gaps and estimates
    STANDARDIZATION_REVIEW = "standardization_review"  # the ICT office's review of gaps (admins write)
    CASHLESS = "cashless"  # per bureau: receivables
    DX = "dx"  # per department: DX plans and reports
    LITERACY = "literacy"  # per person: self-check results
    TRAINING = "training"  # per person: training records
    DIGITAL_DIVIDE = "digital_divide"  # smartphone classes etc.
    PEOPLE = "people"  # the roster and roles (owner: the person)
    ORGANISATION = "organisation"  # 局・部・課・室
    AUDIT = "audit"  # the audit trail
    SETTINGS = "settings"  # bot settings
    CHANNELS = "channels"  # channel ↔ department mapping
    REGISTRATION = "registration"  # requests to be put on the roster (owner: the requester)
    # --- dx ---
    DX_REVIEW = "dx_review"  # the ICT office's review of DX plans (伴走), sessions, participation, academy
    DX_ENROLMENT = "dx_enrolment"  # per person: training enrolment, attendance, videos watched
    # --- literacy / digital_divide ---
    LITERACY_NEEDS = "literacy_needs"  # per department: needed つかえる/つくれる people, planned moves
    LITERACY_TOOLS = "literacy_tools"  # the tools list (admins extend it)
    DIGITAL_DIVIDE_CLASSES = "digital_divide_classes"  # smartphone classes (owner: a contact of the partner)
    DIGITAL_DIVIDE_ADMIN = "digital_divide_admin"  # outreach figures, partner contacts


class Relation(enum.Enum):
    EVERYONE = "everyone"
    OWNER = "owner"
    MANAGER = "manager"
    BUREAU_CONTACT = "bureau_contact"
    DX_PRO_OF_BUREAU = "dx_pro_of_bureau"
    DX_PRO_OF_DEPARTMENT = "dx_pro_of_department"
    # a bureau contact whose scope covers the resource's unit (down to 課・室): マイナンバー, 標準化
    UNIT_CONTACT = "unit_contact"


@dataclass(frozen=True)
class Policy:
    title: str  # what the records are, in Japanese
    read: frozenset[Relation] = frozenset()
    write: frozenset[Relation] = frozenset()


def _p(title: str, read: Iterable[Relation] = (), write: Iterable[Relation] = ()) -> Policy:
    return Policy(title, frozenset(read), frozenset(write))


R = Relation
_BUREAU_RECORDS = (R.MANAGER, R.BUREAU_CONTACT)
POLICIES: dict[ResourceKind, Policy] = {
    ResourceKind.GENERAL: _p("取組の情報", read=[R.EVERYONE]),
    ResourceKind.ONLINE_PROCEDURES: _p(
        "行政手続きオンライン化の計画・実績", read=[R.MANAGER, R.BUREAU_CONTACT], write=[R.DX_PRO_OF_BUREAU]
    ),
    # --- mynumber --- records of one section: its own contacts write, managers of the bureau read
    ResourceKind.MYNUMBER: _p(
        "マイナンバー情報総点検の記録", read=[R.MANAGER, R.UNIT_CONTACT], write=[R.UNIT_CONTACT]
    ),
    # --- standardization ---
    ResourceKind.STANDARDIZATION: _p(
        "業務システム標準化の記録", read=_BUREAU_RECORDS, write=[R.UNIT_CONTACT]
    ),
    ResourceKind.STANDARDIZATION_REVIEW: _p("業務システム標準化の Gap 精査", read=_BUREAU_RECORDS),
    ResourceKind.CASHLESS: _p("キャッシュレス導入の記録", read=_BUREAU_RECORDS, write=[R.BUREAU_CONTACT]),
    ResourceKind.DX: _p("DX実行計画・実施報告", read=[R.MANAGER], write=[R.DX_PRO_OF_DEPARTMENT]),
    ResourceKind.LITERACY: _p("ICTリテラシーの記録", read=[R.MANAGER], write=[R.OWNER]),
    ResourceKind.TRAINING: _p("研修の受講記録", read=[R.OWNER, R.MANAGER]),
    ResourceKind.DIGITAL_DIVIDE: _p("デジタル・ディバイド対策の情報", read=[R.EVERYONE]),
    ResourceKind.PEOPLE: _p("職員名簿とロール", read=[R.OWNER]),
    ResourceKind.ORGANISATION: _p("組織（局・部・課・室）", read=[R.EVERYONE]),
    ResourceKind.AUDIT: _p("変更履歴（監査ログ）"),
    ResourceKind.SETTINGS: _p("ボットの設定"),
    ResourceKind.CHANNELS: _p("チャネルと部署の対応付け"),
    ResourceKind.REGISTRATION: _p("名簿登録の依頼", read=[R.OWNER], write=[R.OWNER]),
    # --- dx ---
    ResourceKind.DX_REVIEW: _p("DX実行計画の確認・研修とデータアカデミーの運営"),
    ResourceKind.DX_ENROLMENT: _p(
        "DX PRO育成プログラムの受講記録", read=[R.OWNER, R.MANAGER, R.DX_PRO_OF_DEPARTMENT], write=[R.OWNER]
    ),
    # --- literacy / digital_divide ---
    # A class's resource names as owner the person asking when they are a contact of the class's
    # partner (services.digital_divide keeps the partner contacts); anyone else gets no owner.
    ResourceKind.LITERACY_NEEDS: _p("所管に必要な人材（ICTリテラシー）", read=[R.MANAGER], write=[R.MANAGER]),
    ResourceKind.LITERACY_TOOLS: _p("ICTリテラシーのツール一覧", read=[R.EVERYONE]),
    ResourceKind.DIGITAL_DIVIDE_CLASSES: _p("スマホ教室の記録", read=[R.EVERYONE], write=[R.OWNER]),
    ResourceKind.DIGITAL_DIVIDE_ADMIN: _p("デジタル・ディバイド対策の計画・周知・連携先", read=[R.EVERYONE]),
}
ADMIN_LABEL = "ICTイノベーション推進室（管理者）"


@dataclass(frozen=True)
class Resource:
    kind: ResourceKind
    bureau: str | None = None
    department: str | None = None
    owner: str | None = None  # Entra object id of the person the record is about
    section: str | None = None  # the 課・室 of a section's record (マイナンバー, a system's owning section)

    @classmethod
    def of(cls, kind: ResourceKind, unit: OrgUnit | None = None, *, owner: str | None = None) -> Resource:
        return cls(kind, unit.bureau if unit else None, (unit.department or None) if unit else None, owner)

    @property
    def place(self) -> str:
        return "/".join(p for p in (self.bureau, self.department, self.section) if p)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    what: str  # 「行政手続きオンライン化の計画・実績（健康福祉局）の更新」
    who: str  # who may do it, in Japanese
    because: str = ""  # why it was allowed (the matching role), for logs and tests

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def message(self) -> str:
        return f"{self.what}は、{self.who}のみが行えます。"


class Forbidden(Exception):
    """Raised by :func:`require`. ``str(error)`` is a polite Japanese sentence naming who may."""

    def __init__(self, decision: Decision):
        super().__init__(decision.message)
        self.decision = decision

    @property
    def what(self) -> str:
        return self.decision.what

    @property
    def who(self) -> str:
        return self.decision.who


def _matches(person: Person, relation: Relation, resource: Resource) -> str:
    """The grant that puts ``person`` in ``relation`` to ``resource`` (a label), or ""."""
    if relation is Relation.EVERYONE:
        return "職員"
    if relation is Relation.OWNER:
        return "本人" if resource.owner and resource.owner == person.object_id and person.object_id else ""
    if not resource.bureau:
        return ""
    for grant in person.grants:
        scope = grant.scope
        if scope is None or scope.bureau != resource.bureau:
            continue
        if relation is Relation.MANAGER and grant.role is Role.MANAGER:
            if not scope.department or not resource.department or scope.department == resource.department:
                return grant.label
        elif (
            relation is Relation.UNIT_CONTACT and grant.role is Role.BUREAU_CONTACT
        ):  # a wider scope covers its units
            department = resource.department or ""
            if scope.contains(
                OrgUnit(resource.bureau, department, resource.section or "" if department else "")
            ):
                return grant.label
        elif (
            (relation is Relation.BUREAU_CONTACT and grant.role is Role.BUREAU_CONTACT)
            or (relation is Relation.DX_PRO_OF_BUREAU and grant.role is Role.DX_PRO)
            or (
                relation is Relation.DX_PRO_OF_DEPARTMENT
                and grant.role is Role.DX_PRO
                and resource.department
                and scope.department == resource.department
            )
        ):
            return grant.label
    return ""


def _who(relation: Relation, resource: Resource) -> str:
    bureau = resource.bureau or "その局"
    department = resource.place if resource.department else "その部"
    return {
        Relation.EVERYONE: "すべての職員",
        Relation.OWNER: "ご本人",
        Relation.MANAGER: f"{bureau}の管理職",
        Relation.BUREAU_CONTACT: f"{bureau}の局担当（制度担当・システム所管課）",
        Relation.DX_PRO_OF_BUREAU: f"{bureau}の DX PRO",
        Relation.DX_PRO_OF_DEPARTMENT: f"{department}の DX PRO",
        Relation.UNIT_CONTACT: f"{resource.place or bureau}を担当する局担当（制度担当・システム所管課）",
    }[relation]


_ORDER = list(Relation)


def _and(left: str, right: str) -> str:
    """「AとB」, with spaces where a Latin word meets と (「DX PRO と ICT…」)."""
    before = " " if left[-1:].isascii() else ""
    after = " " if right[:1].isascii() else ""
    return f"{left}{before}と{after}{right}"


def relations_for(action: Action, policy: Policy) -> frozenset[Relation]:
    return policy.write if action is Action.WRITE else policy.read | policy.write


def check(person: Person, action: Action, resource: Resource) -> Decision:
    """May ``person`` do ``action`` on ``resource``? Never raises for a known kind."""
    policy = POLICIES[ResourceKind(resource.kind)]
    relations = sorted(relations_for(action, policy), key=_ORDER.index)
    verb = "閲覧" if action is Action.READ else "更新"
    what = f"{policy.title}（{resource.place}）の{verb}" if resource.place else f"{policy.title}の{verb}"
    who = _and("・".join(_who(r, resource) for r in relations), ADMIN_LABEL) if relations else ADMIN_LABEL
    if person.is_admin:
        return Decision(True, what, who, Role.ADMIN.label)
    for relation in relations:
        because = _matches(person, relation, resource)
        if because:
            return Decision(True, what, who, because)
    return Decision(False, what, who)


def require(person: Person, action: Action, resource: Resource) -> Decision:
    """:func:`check`, raising :class:`Forbidden` when it says no."""
    decision = check(person, action, resource)
    if not decision.allowed:
        raise Forbidden(decision)
    return decision


def allowed(person: Person, action: Action, resources: Iterable[Resource]) -> Iterator[Resource]:
    """The resources ``person`` may ``action`` (to decide what a list or a card shows)."""
    return (r for r in resources if check(person, action, r).allowed)
