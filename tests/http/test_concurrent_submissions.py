"""Fifty people send the same card for one record at once, on SQLite and on Azurite (issue 18 §3).

The card is the same for all of them (one ETag, one state), each with values of their own. Every
one of them has done all their reads before any of them writes (a barrier in the store wrapper,
``tests.support.racing``, in front of the conditional write; the test checks that all fifty met
there). Whatever happens:

- exactly one of them is told "saved" (one card shows one state), and what is stored is theirs;
- every other person gets the 「ほかの方が…」 conflict card, built on the record as it is now (the
  ETag a fresh card carries) and with THEIR values kept in the inputs; nobody is told "already
  saved" for someone else's values; nothing is lost (each person has one of the two answers);
- the audit trail has exactly one entry for that record per success, and nothing else: a refused
  write leaves no entry and no note (services.audit.trail saves an entry with its change).

The records (one per programme; where a programme's own records are one person's, the closest
record several people share):

- 行政手続きオンライン化: 健康福祉局's actuals for the open quarter (50 DX PROs of the bureau);
- マイナンバー情報総点検: the inspection steps of one operation of 財政局/税務部/市民税課
  (50 局担当 of 財政局);
- キャッシュレス: the receivable 目的外使用料 of 建設局 (50 局担当 of 建設局);
- 業務システムの標準化: the step 見積依頼 of system 04 個人住民税 (50 局担当 of 財政局);
- DX実行計画: a draft plan of 健康福祉局/健康部, saved as a draft (50 DX PROs of the department);
- ICTリテラシー: the needed people of 健康福祉局/健康部 (50 managers of the bureau; a self-assessment is
  one person's own);
- デジタル・ディバイド対策: the outreach figures of 令和5年度 (50 administrators, who alone write them).

One :class:`Crowd` per programme in ``CROWDS``: a :class:`~tests.http.test_shared_cards.SharedVerb`
(how the card is opened and sent, and what its answers say), the role the fifty people get on the
roster, fifty different sets of values, and the audit record the write is about.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import pytest

from app import create_app
from bot.settings import Settings
from cards import cashless as cl_cards
from cards import digital_divide as dd_cards
from cards import dx as dx_cards
from cards import literacy as lit_cards
from cards import mynumber as mn_cards
from cards import standardization as st_cards
from services.audit.trail import AuditLog
from services.cashless.forms import form_values as cashless_values
from services.cashless.service import CashlessService
from services.cashless.storage import TABLE as CASHLESS_TABLE
from services.dx.departments import TABLE as DX_TABLE
from services.dx.forms import form_of as dx_form_of
from services.dx.plans import PlanService
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.literacy.service import TABLE as LITERACY_TABLE
from services.literacy.service import LiteracyService
from services.mynumber.models import LinkMethod
from services.mynumber.records import TABLE as MN_TABLE
from services.mynumber.rules import inspection_values
from services.mynumber.service import MyNumberService
from services.people.identity import system_actor
from services.people.service import PeopleService
from services.standardization.service import StandardizationService
from services.standardization.store import TABLE as STANDARDIZATION_TABLE
from storage.base import TableStore
from tests.http.test_shared_cards import HEALTH, VERBS, SharedVerb
from tests.support import mynumber as mx
from tests.support import people as fx
from tests.support.activities import execute_invoke
from tests.support.cards import action_data, inputs_by_id
from tests.support.cards import card_json as text_of
from tests.support.prefixed_store import PrefixedStore
from tests.support.racing import RacingStore

USERS = 50
SETUP = system_actor("テスト準備", "test-setup")
NOW = datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE)
UNUSED = ("", "")  # SharedVerb.members: the crowd of each programme is its own fifty people


def crowd_of(k: int) -> tuple[str, ...]:
    """The fifty people of the k-th programme in ``CROWDS`` (object ids)."""
    return tuple(f"00000000-0000-4000-8000-0000000c{k:02d}{i:02d}" for i in range(USERS))


def name_of(i: int) -> str:
    return f"同時 {i:02d}"


def crowds_roster(crowds: list[Crowd]) -> bytes:
    """Every programme's fifty people, all in 健康福祉局/健康部, each with their programme's role."""
    rows = ["オブジェクトID,氏名,局,部,課・室,ロール,ロール対象"]
    for k, crowd in enumerate(crowds):
        role, scope = crowd.role
        rows += [f"{oid},{name_of(i)},健康福祉局,健康部,,{role},{scope}" for i, oid in enumerate(crowd_of(k))]
    return ("\n".join(rows) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Crowd:
    """One record that many people may write, and how fifty of them send one card for it.

    - ``verb``: how the card is opened and sent and what its answers say (``members`` unused);
    - ``role``: the roster role and its scope given to each of the fifty (who may write the record);
    - ``values(i)``: the i-th person's inputs (fifty different, valid sets);
    - ``record(data)``: the audit trail's (entity kind, entity id) of the write, from the card's data;
    - ``shows(card, winner)``: whether a conflict card shows what the winner (their index) saved;
    - ``etag(data)``: the state a card was built on, from its action data.
    """

    verb: SharedVerb
    role: tuple[str, str]
    values: Callable[[int], dict[str, str]]
    record: Callable[[dict], tuple[str, str]]
    shows: Callable[[dict, int], bool]
    etag: Callable[[dict], str] = lambda data: str(data.get("etag", ""))

    @property
    def name(self) -> str:
        return self.verb.name


def _verb(name: str) -> SharedVerb:
    return next(v for v in VERBS if v.name == name)


def _inputs_kept(card: dict, values: dict[str, str]) -> bool:
    return all(str(inputs_by_id(card)[k].get("value", "")) == v for k, v in values.items())


def _saved_without_conflict(card: dict) -> bool:
    return "保存しました" in text_of(card) and "ほかの方が" not in text_of(card)


def _other_first(card: dict) -> bool:
    return "ほかの方が" in text_of(card)


# --- マイナンバー情報総点検: the inspection steps of one operation of 財政局/税務部/市民税課 ----------------

MN_OPERATION = dataclasses.replace(
    mx.op(mx.TAX, "市民税の課税", (LinkMethod.THREE_OR_FEWER, 250)), id="c0ffee50"
)


def _mn_service(store: TableStore) -> MyNumberService:
    return MyNumberService(store, fx.Clock(NOW))


def _mn_prepare(store: TableStore) -> None:
    mx.seed_operations(_mn_service(store), [MN_OPERATION])


def _mn_stored(store: TableStore) -> dict[str, str]:
    return inspection_values(_mn_service(store).operation(SETUP.person, MN_OPERATION.bureau, MN_OPERATION.id))


MYNUMBER = SharedVerb(
    name="mynumber.submit",
    members=UNUSED,
    table=MN_TABLE,
    prepare=_mn_prepare,
    open=(mn_cards.INSPECTION_VERB, {"bureau": MN_OPERATION.bureau, "operation": MN_OPERATION.id}),
    submit=mn_cards.SUBMIT_VERB,
    values=({}, {}),
    saved=_saved_without_conflict,
    conflict=_other_first,
    duplicate=lambda card: "すでに保存されています" in text_of(card),
    stored=_mn_stored,
    kept=_inputs_kept,
)


# --- キャッシュレス: one receivable of 建設局 (目的外使用料), moved to 導入予定 with a date -----------------

CASHLESS = SharedVerb(
    name="cashless.submit",
    members=UNUSED,
    table=CASHLESS_TABLE,
    open=(cl_cards.UPDATE_VERB, {"receivable": "r04"}),
    submit=cl_cards.SUBMIT_VERB,
    values=({}, {}),
    saved=_saved_without_conflict,
    conflict=_other_first,
    duplicate=lambda card: "すでに保存されています" in text_of(card),
    stored=lambda store: {
        k: v
        for k, v in cashless_values(CashlessService(store, fx.Clock(NOW))._get("r04")).items()
        if k != "reason"
    },
    kept=_inputs_kept,
)


# --- 業務システムの標準化: the first step (見積依頼) of system 04 個人住民税 (財政局) ----------------------

STANDARDIZATION = SharedVerb(
    name="standardization.step_save",
    members=UNUSED,
    table=STANDARDIZATION_TABLE,
    open=(st_cards.STEP_VERB, {"system": "04", st_cards.STEP_INPUT: "quote"}),
    submit=st_cards.STEP_SAVE_VERB,
    values=({}, {}),
    saved=lambda card: "で保存しました" in text_of(card) and "ほかの方が" not in text_of(card),
    conflict=_other_first,
    duplicate=lambda card: "すでに保存されています" in text_of(card),
    stored=lambda store: {
        "status": (
            step := StandardizationService(store, fx.Clock(NOW)).system("04").step("quote")
        ).status.value,
        "note": step.note,
    },
    kept=_inputs_kept,
)


# --- DX実行計画: a draft plan of 健康福祉局/健康部, saved as a draft (下書き保存) ------------------------

DX_PLAN = "健康福祉局|健康部|c0ffee50"
DX_VALUES = {
    "business": "証明書の再発行",
    "category": "paper",
    "purpose": "窓口の待ち時間を減らす",
    "goal": "目標",
    "kpi": "平均待ち時間",
    "kpi_target": "15",
    "kpi_unit": "分",
    "milestones": "2023-12-15 業務フローの作成",
}


def _dx_prepare(store: TableStore) -> None:
    PlanService(store, fx.Clock(NOW)).save(SETUP, {"plan_id": DX_PLAN, **DX_VALUES}, submit=False)


def _dx_stored(store: TableStore) -> dict[str, str]:
    plan = PlanService(store, fx.Clock(NOW)).plan(SETUP.person, DX_PLAN)
    return {**dx_form_of(plan).values, "state": plan.state.value}


DX = SharedVerb(
    name="dx.save",
    members=UNUSED,
    table=DX_TABLE,
    prepare=_dx_prepare,
    open=(dx_cards.EDIT, {"plan_id": DX_PLAN}),
    submit=dx_cards.SAVE,
    values=({}, {}),
    saved=lambda card: "下書きを保存しました" in text_of(card) and "ほかの方が" not in text_of(card),
    conflict=_other_first,
    duplicate=lambda card: False,  # a retried card is answered as saved (the plan as it stands)
    stored=_dx_stored,
    kept=_inputs_kept,
)


# --- ICTリテラシー: the needs of 健康福祉局/健康部 (a self-assessment is one person's own) ---


def _literacy_stored(store: TableStore) -> dict[str, str]:
    view = LiteracyService(store, fx.Clock(NOW)).department_view(SETUP.person, HEALTH, "健康部", NOW.date())
    return {f"use|{r.tool}": str(r.use_needed) for r in view.rows} | {
        f"build|{r.tool}": str(r.build_needed) for r in view.rows
    }


LITERACY = SharedVerb(
    name="literacy.needs",
    members=UNUSED,
    table=LITERACY_TABLE,
    open=(lit_cards.DEPARTMENT_VERB, {lit_cards.DEPARTMENT_INPUT: f"{HEALTH}/健康部"}),
    submit=lit_cards.NEEDS_VERB,
    values=({}, {}),
    saved=lambda card: "保存しました。" in text_of(card) and "ほかの方が" not in text_of(card),
    conflict=_other_first,
    duplicate=lambda card: "同じ内容で保存済みです" in text_of(card),
    stored=_literacy_stored,
    kept=_inputs_kept,
)


# --- the crowds: one per programme ------------------------------------------------------------------

CROWDS = [
    Crowd(
        verb=_verb("online_procedures.submit"),  # 健康福祉局's actuals for the open quarter
        role=("DX PRO", "健康福祉局/健康部"),
        values=lambda i: {"done": "30", "delayed": "30", "reason": f"委託先との調整({i + 1}人目)"},
        record=lambda data: ("online_procedures", f"{data['bureau']}/{data['period']}"),
        shows=lambda card, winner: f"{name_of(winner)} さん" in text_of(card),  # これまでの報告
    ),
    Crowd(
        verb=MYNUMBER,
        role=("局担当", "財政局"),
        values=lambda i: {"s1_status": "実施中", "in_scope": "250", "checked": str(100 + i)},
        record=lambda data: ("mynumber", f"{data['bureau']}/{data['operation']}"),
        shows=lambda card, winner: f"保存されている値: {100 + winner}" in text_of(card),
    ),
    Crowd(
        verb=STANDARDIZATION,
        role=("局担当", "財政局"),
        values=lambda i: {"status": "対応中", "note": f"見積依頼中({i + 1}人目)"},
        record=lambda data: ("standardization", f"{data['system']}|{data['step']}"),
        shows=lambda card, winner: f"見積依頼中({winner + 1}人目)" in text_of(card),  # 保存されている内容
    ),
    Crowd(
        verb=DX,
        role=("DX PRO", "健康福祉局/健康部"),
        values=lambda i: {"goal": f"待ち時間を{i + 1}分減らす"},
        record=lambda data: ("dx_plan", data["plan_id"]),
        shows=lambda card, winner: f"保存されている値: 待ち時間を{winner + 1}分減らす" in text_of(card),
    ),
    Crowd(
        verb=LITERACY,
        role=("管理職", HEALTH),
        values=lambda i: {"use|Teams": str(i + 1), "build|RPA": str(50 - i)},
        record=lambda data: ("literacy_needs", f"{data['bureau']}|{data['department']}"),
        shows=lambda card, winner: f'保存されている値: {winner + 1}"' in text_of(card),
    ),
    Crowd(
        verb=_verb("digital_divide.save_outreach"),  # 令和5年度 (admins' record: the crowd are admins)
        role=("管理者", ""),
        values=lambda i: {"planned|poster_city": str(200 + i), "actual|poster_city": str(100 + i)},
        record=lambda data: ("digital_divide_outreach", data[dd_cards.YEAR_INPUT]),
        shows=lambda card, winner: f"保存されている値: {200 + winner}" in text_of(card),
    ),
    Crowd(
        verb=CASHLESS,
        role=("局担当", "建設局"),
        values=lambda i: {
            "status": "PLANNED",
            "planned_on": (date(2024, 4, 1) + timedelta(days=i)).isoformat(),
        },
        record=lambda data: ("cashless", f"{data['receivable']} 目的外使用料"),
        shows=lambda card, winner: (
            f"保存されている値: {(date(2024, 4, 1) + timedelta(days=winner)).isoformat()}" in text_of(card)
        ),
    ),
]


# --- the backends -------------------------------------------------------------------------------------


class LentRacingStore(RacingStore):
    """The racing store over the module's store: the app closes its store when it stops, and the
    next programme's race needs this one open."""

    def close(self) -> None:
        pass


def seeded(store: TableStore) -> TableStore:
    """The seed, the test roster, every programme's fifty people and records: once per backend (each
    programme races on its own record, with its own people)."""
    clock = fx.Clock(NOW)
    seed_store(store, load_seed())
    fx.load_fixtures(store, clock)
    PeopleService(store, clock).import_roster(SETUP, crowds_roster(CROWDS), "crowds.csv")
    for crowd in CROWDS:
        crowd.verb.prepare(store)
    return store


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory) -> Iterator[TableStore]:
    from storage.sqlite import SqliteTableStore

    store = SqliteTableStore(tmp_path_factory.mktemp("crowds") / "store.sqlite3")
    yield seeded(store)
    store.close()


@pytest.fixture(scope="module")
def azurite_store(azurite_connection_string) -> Iterator[TableStore]:
    from storage.azure import AzureTableStore

    store = PrefixedStore(AzureTableStore(azurite_connection_string), "cc" + uuid.uuid4().hex[:10])
    yield seeded(store)
    store.close()


@pytest.fixture
async def threads() -> AsyncIterator[None]:
    """Enough worker threads for fifty turns to wait at the barrier together (the default pool has
    a handful: the others would queue behind them and never overlap)."""
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=USERS + 16, thread_name_prefix="crowd")
    loop.set_default_executor(pool)
    yield
    pool.shutdown(wait=True)


def roomy(settings: Settings) -> Settings:
    """Room in the storage pool for fifty writers held inside the store at once by the barrier
    (where the settings bound the calls in the store: the storage pool of issue 18 §4). Without
    the barrier each call holds its slot for milliseconds."""
    room = {"storage_threads": USERS + 16, "storage_max_in_flight": USERS + 8}
    names = {f.name for f in dataclasses.fields(settings)}
    return dataclasses.replace(settings, **{k: v for k, v in room.items() if k in names})


# --- the race -------------------------------------------------------------------------------------------


async def invoke(client, connector, user: str, verb: str, data: dict[str, Any]) -> dict:
    """``user`` sends ``verb`` from their 1:1 chat; the card the invoke answers with."""
    response = await client.post(
        "/api/messages", json=execute_invoke(connector.url, verb, data, user_aad=user)
    )
    assert response.status == 200
    body = await response.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    return body["value"]


def audit_of(store: TableStore, kind: str, entity_id: str) -> tuple[int, int]:
    """(entries of that record for a saved change, all its entries). A saved change's entry is not
    a compensation note, and no compensation note names it."""
    entries = AuditLog(store, fx.Clock(NOW)).recent(SETUP.person, kind, entity_id, limit=10 * USERS)
    compensated = {e.compensates for e in entries if e.operation == "compensation"}
    saved = sum(1 for e in entries if e.operation != "compensation" and e.entry_id not in compensated)
    return saved, len(entries)


@dataclass
class Outcome:
    submissions: int
    successes: int
    conflicts: int
    lost: int
    duplicated: int
    audit_entries: int  # for a saved change
    audit_rows: int = 0  # every row the trail holds for the record after the race (notes included)

    def __str__(self) -> str:
        return (
            f"submissions={self.submissions} successes={self.successes} conflicts={self.conflicts} "
            f"lost={self.lost} duplicated={self.duplicated} audit_entries={self.audit_entries} "
            f"(audit rows written: {self.audit_rows})"
        )


async def race(crowd: Crowd, store: TableStore, serve, settings, connector) -> Outcome:
    clock = fx.Clock(NOW)
    people = crowd_of(CROWDS.index(crowd))
    racing = LentRacingStore(store, crowd.verb.table)
    client = await serve(create_app(roomy(settings), store=cast(TableStore, racing), clock=clock))
    verb = crowd.verb
    assert verb.open is not None
    shared = await invoke(client, connector, people[0], *verb.open)  # the one card everybody sends
    # what a client sends: every input as it stands on the card, and the button's data
    typed = {k: str(v.get("value", "")) for k, v in inputs_by_id(shared).items()}
    base = {**typed, **action_data(shared, verb.submit)}
    sent = [crowd.values(i) for i in range(USERS)]

    audited_before = audit_of(store, *crowd.record(base))  # e.g. the record's creation
    racing.arm(USERS)
    answers = await asyncio.gather(
        *(
            invoke(client, connector, user, verb.submit, {**base, **values})
            for user, values in zip(people, sent, strict=True)
        )
    )
    assert racing.together == USERS, (
        f"only {racing.together} of {USERS} writers overlapped; the first answer: {text_of(answers[0])[:600]}"
    )

    fresh = action_data(await invoke(client, connector, people[0], *verb.open), verb.submit)
    stored = verb.stored(store)
    winners = [i for i, answer in enumerate(answers) if verb.saved(answer)]
    conflicts = [i for i, answer in enumerate(answers) if verb.conflict(answer)]
    duplicated = [i for i, answer in enumerate(answers) if verb.duplicate(answer)]
    lost = [i for i in range(USERS) if i not in winners and i not in conflicts]
    saved_entries, rows = audit_of(store, *crowd.record(base))
    outcome = Outcome(
        USERS,
        len(winners),
        len(conflicts),
        len(lost),
        len(duplicated),
        saved_entries - audited_before[0],
        rows - audited_before[1],
    )
    print(f"\n{crowd.name}: {outcome}")

    assert not lost, [text_of(answers[i])[:600] for i in lost]
    assert not duplicated, [text_of(answers[i])[:600] for i in duplicated]
    assert len(winners) == 1, (outcome, [text_of(answers[i])[:300] for i in winners])
    assert not set(winners) & set(conflicts)
    [winner] = winners
    assert all(stored.get(k, "") == v for k, v in sent[winner].items()), (stored, sent[winner])
    for i in conflicts:
        card = answers[i]
        assert verb.kept(card, sent[i]), (i, text_of(card)[:600])
        assert crowd.etag(action_data(card, verb.submit)) == crowd.etag(fresh), (i, "not the current state")
        assert crowd.shows(card, winner), (i, winner, text_of(card)[:800])
    assert outcome.audit_entries == len(winners), outcome
    assert outcome.audit_rows == len(winners), outcome  # the losers left nothing in the trail
    return outcome


@pytest.mark.parametrize("crowd", CROWDS, ids=lambda c: c.name)
async def test_fifty_people_send_one_card_at_once_on_sqlite(
    crowd, sqlite_store, threads, serve, settings, connector
):
    await race(crowd, sqlite_store, serve, settings, connector)


@pytest.mark.azurite
@pytest.mark.parametrize("crowd", CROWDS, ids=lambda c: c.name)
async def test_fifty_people_send_one_card_at_once_on_azurite(
    crowd, azurite_store, threads, serve, settings, connector
):
    await race(crowd, azurite_store, serve, settings, connector)
