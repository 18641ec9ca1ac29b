"""botbuilder state over the TableStore: dialogs survive a restart, stale writes are refused,
and large state is split across properties (also on Azurite)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from botbuilder.core import ConversationState, MessageFactory, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogSet, DialogTurnStatus, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.prompts import PromptOptions, TextPrompt

from bot.state_storage import (
    StateETagConflict,
    TableStoreStateStorage,
    entity_keys,
    join_chunks,
    split_chunks,
)
from storage.base import MAX_STRING_CHARS, Entity, TableStore
from storage.sqlite import SqliteTableStore

# About 96,000 UTF-16 code units: three or four 32 Ki pieces once serialised.
BIG_NOTE = "堺市ＤＸ推進😀" * 12_000


@pytest.fixture(params=["sqlite", pytest.param("azure", marks=pytest.mark.azurite)])
def open_backend(request: pytest.FixtureRequest, tmp_path) -> Callable[[], TableStore]:
    """A factory: each call opens a NEW store on the same data, as a restarted process would."""
    opened: list[TableStore] = []

    def open_store() -> TableStore:
        if request.param == "sqlite":
            store: TableStore = SqliteTableStore(tmp_path / "bot.sqlite3")
        else:
            from storage.azure import AzureTableStore

            store = AzureTableStore(request.getfixturevalue("azurite_connection_string"))
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


def registration_bot(store: TableStore, table: str) -> TestAdapter:
    """A three-step waterfall with text prompts, wired as bot/runtime.py wires the real bot."""
    conversation_state = ConversationState(TableStoreStateStorage(store, table))
    dialogs = DialogSet(conversation_state.create_property("DialogState"))
    dialogs.add(TextPrompt("text"))

    async def ask_name(step: WaterfallStepContext):
        return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("お名前は？")))

    async def ask_bureau(step: WaterfallStepContext):
        step.values["name"] = step.result
        step.values["note"] = BIG_NOTE  # makes the saved state larger than one string property
        prompt = MessageFactory.text(f"{step.result}さん、所属は？")
        return await step.prompt("text", PromptOptions(prompt=prompt))

    async def confirm(step: WaterfallStepContext):
        intact = "OK" if step.values["note"] == BIG_NOTE else "壊れています"
        await step.context.send_activity(
            f"{step.values['name']}（{step.result}）を登録しました。メモ {intact}"
        )
        return await step.end_dialog()

    dialogs.add(WaterfallDialog("register", [ask_name, ask_bureau, confirm]))

    async def logic(turn_context: TurnContext) -> None:
        dialog_context = await dialogs.create_context(turn_context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("register")
        await conversation_state.save_changes(turn_context)

    return TestAdapter(logic)


async def test_a_dialog_continues_after_a_restart(open_backend):
    table = "s" + uuid.uuid4().hex[:12]

    first = registration_bot(open_backend(), table)
    await (await first.send("登録したい")).assert_reply("お名前は？")

    # "Restart": new store, storage, state and adapter over the same data.
    second = registration_bot(open_backend(), table)
    await (await second.send("堺 太郎")).assert_reply("堺 太郎さん、所属は？")

    third_store = open_backend()
    [entity] = list(third_store.query(table))
    assert entity["key"].endswith("/conversations/Convo1")  # the original botbuilder key
    assert entity["chunks"] >= 3  # the big note was split
    third = registration_bot(third_store, table)
    await (await third.send("健康福祉局")).assert_reply("堺 太郎（健康福祉局）を登録しました。メモ OK")

    # The dialog ended; the next message starts it again.
    await (await third.send("もう一度")).assert_reply("お名前は？")


@pytest.fixture
def storage(tmp_path) -> TableStoreStateStorage:
    store = SqliteTableStore(tmp_path / "state.sqlite3")
    yield TableStoreStateStorage(store)
    store.close()


async def test_a_stale_e_tag_is_refused(storage):
    await storage.write({"msteams/users/29:a": {"count": 1}})
    mine = (await storage.read(["msteams/users/29:a"]))["msteams/users/29:a"]
    theirs = (await storage.read(["msteams/users/29:a"]))["msteams/users/29:a"]
    assert mine["e_tag"] and mine["e_tag"] == theirs["e_tag"]

    mine["count"] = 2
    await storage.write({"msteams/users/29:a": mine})
    theirs["count"] = 3
    with pytest.raises(StateETagConflict):
        await storage.write({"msteams/users/29:a": theirs})
    assert (await storage.read(["msteams/users/29:a"]))["msteams/users/29:a"]["count"] == 2

    # The winner's item got the new e_tag, so saving it again in the same turn works.
    mine["count"] = 4
    await storage.write({"msteams/users/29:a": mine})
    # "*" (and no e_tag) means "last writer wins".
    theirs["e_tag"] = "*"
    await storage.write({"msteams/users/29:a": theirs})
    assert (await storage.read(["msteams/users/29:a"]))["msteams/users/29:a"]["count"] == 3


async def test_an_empty_e_tag_is_an_error(storage):
    with pytest.raises(ValueError):
        await storage.write({"k": {"e_tag": ""}})


async def test_a_stale_e_tag_of_a_deleted_item_recreates_it(storage):
    await storage.write({"k": {"v": 1}})
    item = (await storage.read(["k"]))["k"]
    await storage.delete(["k"])
    item["v"] = 2
    await storage.write({"k": item})  # as MemoryStorage: the item was gone, so it is written
    assert (await storage.read(["k"]))["k"]["v"] == 2


class Counter(StoreItem):
    def __init__(self, count: int = 0, e_tag: str = "*"):
        super().__init__(count=count, e_tag=e_tag)


async def test_store_items_and_awkward_keys_round_trip(storage):
    keys = ["msteams/conversations/19:abc@thread.tacv2;messageid=1/", "a\\b#c?d", "日本語/キー", "x" * 2000]
    await storage.write({key: Counter(count=i) for i, key in enumerate(keys)})
    items = await storage.read([*keys, "missing"])
    assert sorted(items) == sorted(keys)
    assert [(type(items[k]), items[k].count) for k in keys] == [(Counter, i) for i in range(len(keys))]
    assert all(items[k].e_tag not in (None, "*") for k in keys)
    await storage.delete([keys[0], "missing"])
    assert sorted(await storage.read(keys)) == sorted(keys[1:])
    assert await storage.read([]) == {}
    await storage.write({})
    with pytest.raises(TypeError):
        await storage.write(None)


async def test_state_too_large_for_one_entity_is_refused(storage):
    from storage.base import InvalidEntity

    with pytest.raises(InvalidEntity):
        await storage.write({"k": {"note": "堺" * 600_000}})  # 1.2 MB in UTF-16


def test_chunks_never_split_an_emoji():
    text = "a" * (MAX_STRING_CHARS - 1) + "😀" + "b" * 10
    props = split_chunks(text)
    assert props["chunks"] == 2
    assert len(props["data0"]) == MAX_STRING_CHARS - 1  # the emoji moved whole to the next piece
    assert props["data1"].startswith("😀")
    assert join_chunks(Entity("p", "r", props)) == text
    assert split_chunks("short") == {"data0": "short", "chunks": 1}


def test_entity_keys_are_safe_and_stable():
    pk, rk = entity_keys("msteams/conversations/a:1/")
    assert (pk, rk) == entity_keys("msteams/conversations/a:1/")
    assert len(rk) == 64 and rk.startswith(pk) and len(pk) == 2
