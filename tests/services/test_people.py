"""Organisation and roster imports, role grants, registration requests, and their audit trail."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from services.kernel.seed import BUREAU, bureau_rows, load_seed
from services.kernel.tabular import ImportRejected
from services.people.directory import DirectoryUser, graph_grants
from services.people.identity import OrgUnit, Role, RoleGrant, RoleSource, system_actor
from services.people.organisation import SEED_BUREAUS, load_organisation
from services.people.permissions import Forbidden
from services.people.service import ConcurrentEdit, InvalidChange, PeopleService
from tests.fakes import InMemoryTableStore
from tests.support import people as fx

SYSTEM = system_actor("テスト", "test")
ORG_HEADER = "局,部,課・室\n"
ROSTER_HEADER = "オブジェクトID,氏名,局,部,課・室,ロール,ロール対象\n"


def csv(text: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def store():
    return InMemoryTableStore()


@pytest.fixture
def people(store):
    return fx.load_fixtures(store)


def issues_of(excinfo) -> list[tuple[int | None, str | None]]:
    return [(i.row, i.column) for i in excinfo.value.issues]


# --- the organisation ----------------------------------------------------------------------------


def test_seed_bureaus_are_the_online_procedures_table():
    bureaus = tuple(bureau_rows(load_seed().online_procedures)[BUREAU])
    assert bureaus == SEED_BUREAUS and len(bureaus) == 22


def test_an_empty_store_has_the_22_seed_bureaus(store):
    org = load_organisation(store)
    assert [u.bureau for u in org.bureaus] == list(SEED_BUREAUS) and org.departments == []


def test_organisation_import_is_idempotent_and_keeps_seed_bureaus(store):
    service = PeopleService(store, fx.Clock())
    data = csv(
        ORG_HEADER + "健康福祉局,健康部,\n健康福祉局,健康部,健康医療推進課\n新設局,,\n新設局,企画部,\n",
        bom=True,
    )
    first = service.import_organisation(SYSTEM, data, "org.csv")
    assert (first.created, first.removed) == (4, 0)
    org = load_organisation(store)
    assert OrgUnit("健康福祉局", "健康部", "健康医療推進課") in org and OrgUnit("新設局") in org
    assert len(org.bureaus) == 23
    snapshot = store.snapshot()
    again = service.import_organisation(SYSTEM, data, "org.csv")
    assert not again.changed and store.snapshot() == snapshot


def test_organisation_import_from_excel(store):
    service = PeopleService(store, fx.Clock())
    result = service.import_organisation(
        SYSTEM, xlsx([["局", "部", "課・室"], ["財政局", "税務部", None]]), "org.xlsx"
    )
    assert result.created == 1 and OrgUnit("財政局", "税務部") in load_organisation(store)


def test_organisation_errors_name_rows_and_nothing_is_imported(store):
    service = PeopleService(store, fx.Clock())
    data = csv(
        ORG_HEADER
        + "健康福祉局,健康部,\n"  # 2 fine
        + "健康福祉局,健康部,\n"  # 3 duplicate
        + ",総務部,\n"  # 4 empty bureau
        + "存在しない局,何か部,\n"  # 5 unknown parent bureau
        + "健康福祉局,,課だけ\n"  # 6 section without department
        + "健康福祉局,福祉部,高齢課\n"  # 7 unknown parent department
        + "健康福祉局,A/B部,\n"
    )  # 8 forbidden character
    with pytest.raises(ImportRejected) as rejected:
        service.import_organisation(SYSTEM, data, "org.csv")
    assert issues_of(rejected) == [(3, "部"), (4, "局"), (5, "局"), (6, "部"), (7, "部"), (8, "部")]
    assert "2行目と重複" in str(rejected.value) and "「存在しない局」が登録されていません" in str(
        rejected.value
    )
    assert store.snapshot() == {}


def test_a_bad_header_is_refused(store):
    with pytest.raises(ImportRejected) as rejected:
        PeopleService(store, fx.Clock()).import_organisation(SYSTEM, csv("局,部\n財政局,税務部\n"))
    assert issues_of(rejected) == [(1, "課・室")]


def test_a_unit_in_use_cannot_be_dropped(people, store):
    before = store.snapshot()
    with pytest.raises(ImportRejected) as rejected:
        people.import_organisation(SYSTEM, csv(ORG_HEADER + "健康福祉局,健康部,\n"), "org.csv")
    assert "人の所属またはロール対象なので削除できません" in str(rejected.value)
    assert store.snapshot() == before


# --- the roster ----------------------------------------------------------------------------------


def test_fixture_roster_imports_and_reimports_without_change(people, store):
    assert len(people.everyone(people.resolve(fx.ADMIN))) == 6
    snapshot = store.snapshot()
    result = people.import_roster(SYSTEM, fx.ROSTER_CSV.read_bytes(), "roster.csv")
    assert not result.changed and result.unchanged == 6
    assert store.snapshot() == snapshot


def test_blank_scopes_default_by_role(people):
    data = csv(
        ROSTER_HEADER
        + "00000000-0000-4000-8000-000000000011,新人 一,健康福祉局,健康部,,DX PRO,\n"
        + "00000000-0000-4000-8000-000000000011,新人 一,健康福祉局,健康部,,管理職,\n"
        + "00000000-0000-4000-8000-000000000011,新人 一,健康福祉局,健康部,,局担当,\n"
    )
    people.import_roster(SYSTEM, data, "r.csv")
    person = people.resolve("00000000-0000-4000-8000-000000000011")
    assert sorted(g.label for g in person.grants) == sorted(
        ["DX PRO（健康福祉局/健康部）", "管理職（健康福祉局）", "局担当（健康福祉局）"]
    )


def test_roster_errors_name_row_and_column_and_nothing_is_imported(people, store):
    before = store.snapshot()
    data = csv(
        ROSTER_HEADER
        + "00000000-0000-4000-8000-000000000021,正しい 人,財政局,税務部,,職員,\n"  # 2 fine
        + "not-a-guid,名前,財政局,,,職員,\n"  # 3 bad GUID
        + "00000000-0000-4000-8000-000000000022,,財政局,,,職員,\n"  # 4 empty name
        + "00000000-0000-4000-8000-000000000023,名前,幻の局,,,職員,\n"  # 5 unknown bureau
        + "00000000-0000-4000-8000-000000000024,名前,財政局,幻の部,,職員,\n"  # 6 unknown department
        + "00000000-0000-4000-8000-000000000025,名前,財政局,,,社長,\n"  # 7 unknown role
        + "00000000-0000-4000-8000-000000000026,名前,財政局,,,DX PRO,\n"  # 8 DX PRO without a department
        + "00000000-0000-4000-8000-000000000027,名前,財政局,,,管理者,財政局\n"  # 9 admin with a scope
        + "00000000-0000-4000-8000-000000000028,名前,財政局,,,DX PRO,財政局\n"  # 10 DX PRO of a bureau
        # 11: the name differs from row 2
        + "00000000-0000-4000-8000-000000000021,別の 名前,財政局,税務部,,職員,\n"
        + "00000000-0000-4000-8000-000000000021,正しい 人,財政局,税務部,,職員,\n"  # 12 duplicate of row 2
        + "00000000-0000-4000-8000-000000000029,名前,財政局,,,局担当,幻の局/部\n"
    )  # 13 unknown scope
    with pytest.raises(ImportRejected) as rejected:
        people.import_roster(SYSTEM, data, "roster.csv")
    assert issues_of(rejected) == [
        (3, "オブジェクトID"),
        (4, "氏名"),
        (5, "局"),
        (6, "部"),
        (7, "ロール"),
        (8, "ロール対象"),
        (9, "ロール対象"),
        (10, "ロール対象"),
        (11, "氏名"),
        (12, "ロール"),
        (13, "ロール対象"),
    ]
    text = str(rejected.value)
    assert "3行目 「オブジェクトID」" in text and "2行目と重複" in text
    assert store.snapshot() == before


def test_roster_from_excel(people):
    rows = [
        ["オブジェクトID", "氏名", "局", "部", "課・室", "ロール", "ロール対象"],
        ["00000000-0000-4000-8000-000000000031", "エクセル 太郎", "建設局", "土木部", None, "DX PRO", None],
    ]
    result = people.import_roster(SYSTEM, xlsx(rows), "roster.xlsx")
    assert result.created == 1
    assert people.resolve("00000000-0000-4000-8000-000000000031").scopes(Role.DX_PRO) == [
        OrgUnit("建設局", "土木部")
    ]


def test_reimport_replaces_the_role_set_and_audits_the_revocation(people):
    admin = people.resolve(fx.ADMIN)
    text = fx.ROSTER_CSV.read_text(encoding="utf-8").replace(
        "健康 花子,健康福祉局,健康部,,DX PRO,健康福祉局/健康部", "健康 花子,健康福祉局,健康部,,職員,"
    )
    result = people.import_roster(SYSTEM, text.encode("utf-8"), "roster.csv")
    assert (result.updated, result.revoked, result.unchanged) == (1, 1, 5)
    assert people.resolve(fx.DX_HEALTH).grants == ()
    [entry] = people.audit.recent(admin, "person", fx.DX_HEALTH, limit=1)
    assert entry.operation == "update"
    assert entry.before["roles"] == [{"role": "dx_pro", "scope": "健康福祉局/健康部", "source": "roster"}]
    assert entry.after["roles"] == []


def test_people_missing_from_the_file_are_left_alone(people):
    one = csv(ROSTER_HEADER + "00000000-0000-4000-8000-000000000006,一般 職員,建設局,土木部,,職員,\n")
    result = people.import_roster(SYSTEM, one, "r.csv")
    assert result.untouched == 5 and people.resolve(fx.ADMIN).is_admin


def test_import_file_tells_organisation_and_roster_apart(people):
    assert people.import_file(SYSTEM, fx.ROSTER_CSV.read_bytes(), "x.csv").what == "名簿"
    assert people.import_file(SYSTEM, fx.ORGANISATION_CSV.read_bytes(), "y.csv").what == "組織"
    with pytest.raises(ImportRejected):
        people.import_file(SYSTEM, csv("a,b\n1,2\n"), "z.csv")


# --- grants and revocations ------------------------------------------------------------------------


def test_grant_and_revoke_with_etags(people):
    admin = fx.actor_of(people, fx.ADMIN)
    staff = people.resolve(fx.STAFF)
    grant = RoleGrant(Role.DX_PRO, OrgUnit("建設局", "土木部"))
    after = people.grant(admin, fx.STAFF, grant, etag=staff.etag, reason="新任")
    assert after.scopes(Role.DX_PRO) == [OrgUnit("建設局", "土木部")] and after.etag != staff.etag
    with pytest.raises(ConcurrentEdit) as conflict:  # a second admin still holding the old card
        people.revoke(admin, fx.STAFF, Role.DX_PRO, OrgUnit("建設局", "土木部"), etag=staff.etag)
    assert conflict.value.current.etag == after.etag  # the new state, to confirm again
    final = people.revoke(
        admin, fx.STAFF, Role.DX_PRO, OrgUnit("建設局", "土木部"), etag=after.etag, reason="異動"
    )
    assert final.grants == ()


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        (RoleGrant(Role.DX_PRO, None), "ロール対象"),
        (RoleGrant(Role.DX_PRO, OrgUnit("建設局")), "部です"),
        (RoleGrant(Role.MANAGER, OrgUnit("建設局", "幻の部")), "組織にありません"),
    ],
)
def test_an_invalid_grant_is_refused_and_nothing_written(people, store, grant, message):
    before = store.snapshot()
    with pytest.raises(InvalidChange, match=message):
        people.grant(fx.actor_of(people, fx.ADMIN), fx.STAFF, grant, etag=None)
    assert store.snapshot() == before


def test_the_last_admin_cannot_be_revoked(people):
    with pytest.raises(InvalidChange, match="最後の管理者"):
        people.revoke(fx.actor_of(people, fx.ADMIN), fx.ADMIN, Role.ADMIN, None, etag=None)


# --- registration requests -------------------------------------------------------------------------


def test_registration_request_approval_and_rejection(people):
    newcomer = fx.actor_of(people, fx.UNREGISTERED)
    request, new = people.request_registration(newcomer, "建設局/土木部", "DX PRO になりました")
    assert new and request.name == "未登録 さん"
    again, new_again = people.request_registration(newcomer, "建設局/土木部")
    assert not new_again and again.requested_at == request.requested_at
    admin = fx.actor_of(people, fx.ADMIN)
    [pending] = people.pending_requests(admin.person)
    person = people.approve(
        admin,
        fx.UNREGISTERED,
        grant=RoleGrant(Role.DX_PRO, OrgUnit("建設局", "土木部")),
        unit=OrgUnit("建設局", "土木部"),
        etag=pending.etag,
        reason="承認",
    )
    assert person.registered and person.scopes(Role.DX_PRO) == [OrgUnit("建設局", "土木部")]
    assert people.pending_requests(admin.person) == []
    with pytest.raises(ConcurrentEdit):  # a second admin approving the same request
        people.approve(admin, fx.UNREGISTERED, grant=RoleGrant(Role.STAFF), unit=None, etag=pending.etag)


def test_registered_people_need_no_registration(people):
    with pytest.raises(InvalidChange):
        people.request_registration(fx.actor_of(people, fx.STAFF), "建設局")


# --- Graph -----------------------------------------------------------------------------------------


def test_graph_grants_from_job_titles():
    unit = OrgUnit("健康福祉局", "健康部")
    assert graph_grants("健康福祉局長", unit) == [
        RoleGrant(Role.MANAGER, OrgUnit("健康福祉局"), RoleSource.GRAPH)
    ]
    assert graph_grants("健康部長", unit) == [RoleGrant(Role.MANAGER, unit, RoleSource.GRAPH)]
    assert graph_grants("副部長", unit) == [] and graph_grants("主査", unit) == []


def test_apply_directory_keeps_roster_roles_and_is_idempotent(people, store):
    admin = fx.actor_of(people, fx.ADMIN)
    users = [
        DirectoryUser(fx.DX_HEALTH, "健康 花子", "健康福祉局 健康部", "健康部長", fx.MANAGER),
        DirectoryUser("00000000-0000-4000-8000-000000000041", "新規 職員", "健康部", "主事", ""),
        DirectoryUser("00000000-0000-4000-8000-000000000042", "所属 不明", "どこか課", "", ""),
    ]
    report = people.apply_directory(admin, users)
    assert (report.created, report.updated, report.without_manager, report.unresolved) == (
        2,
        1,
        2,
        ("どこか課",),
    )
    person = people.resolve(fx.DX_HEALTH)
    assert sorted(g.label for g in person.grants) == [
        "DX PRO（健康福祉局/健康部）",
        "管理職（健康福祉局/健康部）",
    ]
    assert person.manager_id == fx.MANAGER and person.job_title == "健康部長"
    assert people.resolve("00000000-0000-4000-8000-000000000041").unit == OrgUnit("健康福祉局", "健康部")
    snapshot = store.snapshot()
    assert people.apply_directory(admin, users).unchanged == 3 and store.snapshot() == snapshot
    # a roster re-import keeps the Graph role
    people.import_roster(SYSTEM, fx.ROSTER_CSV.read_bytes(), "roster.csv")
    assert len(people.resolve(fx.DX_HEALTH).grants) == 2


# --- permissions: every role against every operation ------------------------------------------------

OPERATIONS = {
    "import-org": lambda p, a: p.import_organisation(a, fx.ORGANISATION_CSV.read_bytes(), "o.csv"),
    "import-roster": lambda p, a: p.import_roster(a, fx.ROSTER_CSV.read_bytes(), "r.csv"),
    "list": lambda p, a: p.everyone(a.person),
    "find": lambda p, a: p.find(a.person, "花子"),
    "grant": lambda p, a: p.grant(
        a, fx.STAFF, RoleGrant(Role.DX_PRO, OrgUnit("建設局", "土木部")), etag=None
    ),
    "revoke": lambda p, a: p.revoke(a, fx.DX_HEALTH, Role.DX_PRO, OrgUnit("健康福祉局", "健康部"), etag=None),
    "pending": lambda p, a: p.pending_requests(a.person),
    "approve": lambda p, a: p.approve(a, fx.UNREGISTERED, grant=RoleGrant(Role.STAFF), unit=None, etag=None),
    "reject": lambda p, a: p.reject(a, fx.UNREGISTERED, etag=None),
    "audit": lambda p, a: p.audit.recent(a.person),
    "audit-period": lambda p, a: p.audit.between(a.person, date(2026, 11, 1), date(2026, 11, 30)),
    "sync": lambda p, a: p.apply_directory(a, [DirectoryUser(fx.STAFF, "改名 職員")]),
    "someone-else": lambda p, a: p.get(a.person, fx.ADMIN),
}
NOT_ADMINS = {
    "dx_health": fx.DX_HEALTH,
    "dx_child": fx.DX_CHILD,
    "manager": fx.MANAGER,
    "contact": fx.CONTACT,
    "staff": fx.STAFF,
    "unregistered": "00000000-0000-4000-8000-0000000000ee",
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("persona", sorted(NOT_ADMINS))
def test_only_admins_manage_people_and_a_refusal_writes_nothing(people, store, persona, operation):
    people.request_registration(fx.actor_of(people, fx.UNREGISTERED), "建設局")
    before = store.snapshot()
    with pytest.raises(Forbidden) as refused:
        OPERATIONS[operation](people, fx.actor_of(people, NOT_ADMINS[persona]))
    assert "ICTイノベーション推進室（管理者）" in refused.value.who
    assert store.snapshot() == before


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_admins_may_do_every_operation(people, operation):
    people.request_registration(fx.actor_of(people, fx.UNREGISTERED), "建設局")
    OPERATIONS[operation](people, fx.actor_of(people, fx.ADMIN))


def test_people_read_their_own_record(people):
    me = people.resolve(fx.STAFF)
    assert people.get(me, fx.STAFF).name == "一般 職員"


# --- the audit trail is complete -------------------------------------------------------------------


def test_every_kind_of_change_leaves_exactly_one_entry_with_before_and_after(store):
    people = PeopleService(store, fx.Clock())
    admin_view = system_actor("監査", "x").person

    def entries_after(operation) -> list:
        before = {e.entry_id for e in people.audit.recent(admin_view, limit=10_000)}
        operation()
        return [e for e in people.audit.recent(admin_view, limit=10_000) if e.entry_id not in before]

    [org_add] = entries_after(
        lambda: people.import_organisation(SYSTEM, csv(ORG_HEADER + "建設局,土木部,\n"), "o.csv")
    )
    assert (org_add.entity_kind, org_add.entity_id, org_add.operation, org_add.before, org_add.after) == (
        "org_unit",
        "建設局/土木部",
        "create",
        None,
        {"level": "部"},
    )
    entries_after(
        lambda: people.import_organisation(SYSTEM, csv(ORG_HEADER + "建設局,土木部,\n建設局,道路部,\n"), "o")
    )
    [org_del] = entries_after(
        lambda: people.import_organisation(SYSTEM, csv(ORG_HEADER + "建設局,土木部,\n"), "o.csv")
    )
    assert (org_del.entity_id, org_del.operation, org_del.before, org_del.after) == (
        "建設局/道路部",
        "delete",
        {"level": "部"},
        None,
    )

    oid = "00000000-0000-4000-8000-000000000051"
    row = f"{oid},監査 太郎,建設局,土木部,,DX PRO,\n"
    [created] = entries_after(lambda: people.import_roster(SYSTEM, csv(ROSTER_HEADER + row), "r.csv"))
    assert created.operation == "create" and created.before is None
    assert created.after == {
        "name": "監査 太郎",
        "unit": "建設局/土木部",
        "job_title": "",
        "manager_id": "",
        "roles": [{"role": "dx_pro", "scope": "建設局/土木部", "source": "roster"}],
    }
    [updated] = entries_after(
        lambda: people.import_roster(SYSTEM, csv(ROSTER_HEADER + row.replace("監査 太郎", "監査 次郎")), "r")
    )
    assert (updated.operation, updated.before["name"], updated.after["name"]) == (
        "update",
        "監査 太郎",
        "監査 次郎",
    )

    grant = RoleGrant(Role.MANAGER, OrgUnit("建設局"))
    [granted] = entries_after(lambda: people.grant(SYSTEM, oid, grant, etag=None, reason="昇任"))
    assert granted.operation == "grant" and granted.reason == "昇任"
    assert len(granted.after["roles"]) == len(granted.before["roles"]) + 1
    [revoked] = entries_after(
        lambda: people.revoke(SYSTEM, oid, Role.MANAGER, OrgUnit("建設局"), etag=None, reason="異動")
    )
    assert (
        revoked.operation == "revoke" and revoked.before == granted.after and revoked.after == granted.before
    )

    newcomer = fx.actor_of(people, fx.UNREGISTERED, "a:newcomer-chat")
    [requested] = entries_after(lambda: people.request_registration(newcomer, "建設局", "お願いします"))
    assert (requested.entity_kind, requested.operation, requested.conversation_id) == (
        "registration",
        "request",
        "a:newcomer-chat",
    )
    assert requested.after["status"] == "pending" and requested.actor_id == fx.UNREGISTERED
    approved = entries_after(
        lambda: people.approve(
            SYSTEM,
            fx.UNREGISTERED,
            grant=RoleGrant(Role.STAFF),
            unit=OrgUnit("建設局"),
            etag=None,
            reason="確認済み",
        )
    )
    assert sorted((e.entity_kind, e.operation) for e in approved) == [
        ("person", "approve"),
        ("registration", "approve"),
    ]
    request_entry = next(e for e in approved if e.entity_kind == "registration")
    assert (request_entry.before["status"], request_entry.after["status"]) == ("pending", "approved")

    other = fx.actor_of(people, "00000000-0000-4000-8000-0000000000dd")
    people.request_registration(other, "建設局")
    [rejected] = entries_after(lambda: people.reject(SYSTEM, other.object_id, etag=None, reason="対象外"))
    assert (rejected.operation, rejected.after["status"], rejected.reason) == ("reject", "rejected", "対象外")

    [synced] = entries_after(
        lambda: people.apply_directory(SYSTEM, [DirectoryUser(oid, "監査 三郎", "建設局 土木部", "", "")])
    )
    assert (synced.operation, synced.before["name"], synced.after["name"]) == (
        "update",
        "監査 次郎",
        "監査 三郎",
    )
    # and nothing that changes nothing is recorded
    assert (
        entries_after(
            lambda: people.import_roster(
                SYSTEM, csv(ROSTER_HEADER + row.replace("監査 太郎", "監査 三郎")), "r"
            )
        )
        == []
    )
