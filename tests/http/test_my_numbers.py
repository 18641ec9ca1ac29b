"""My Numbers in clear (issue 10, point 4): a valid number sent through every channel a user has, in
every width and with separators, never comes out in clear: not in a log line (at any level, from
any logger), not in the store, not in any card the bot sends or answers with."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from datetime import datetime

import pytest

from cards import online_procedures as op_cards
from services.kernel.privacy import install_log_masking, mask_my_number
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from tests.support import people as fx
from tests.support.activities import execute_invoke, personal_message
from tests.support.cards import action_data

NUMBER = "123456789018"  # check digit correct (DESIGN §8)
SPELLINGS = [
    NUMBER,
    "１２３４５６７８９０１８",
    "1234 5678 9018",
    "1234-5678-9018",
    "１２３４－５６７８－９０１８",
    "1234\u30005678\u30009018",
    "1234ー5678ー9018",
    "1234.5678.9018",
    "123-456-789-018",
    "12345678 9018",
]
_SEPARATORS = re.compile(r"(?<=\d)[\s\-\u2010-\u2015\u2212\u30fc\uff70.,:/_\u30fb]+(?=\d)")


def leaks(text: str) -> bool:
    """Whether ``text`` holds the number in any width or spelling."""
    return NUMBER in _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


def test_the_leak_detector_sees_every_spelling_and_masking_hides_each():
    for spelling in SPELLINGS:
        assert leaks(f"番号 {spelling} です"), spelling
        assert not leaks(mask_my_number(f"番号 {spelling} です")), spelling


def test_the_log_filter_masks_every_record_whatever_the_logger(caplog):
    install_log_masking()
    with caplog.at_level(logging.DEBUG):
        for spelling in SPELLINGS:
            logging.getLogger("anything.at.all").warning("number %s", spelling)
            logging.getLogger("azure.core.pipeline.policies.http_logging_policy").warning(
                "Request URL: 'https://x.table.core.windows.net/People(PartitionKey='p',RowKey='bureau%%7C%s')'",
                spelling,
            )
        try:
            raise ValueError(f"bad value {NUMBER}")
        except ValueError:
            logging.getLogger("x").exception("failed for %r", {"n": int(NUMBER)})
    assert caplog.records and not leaks(caplog.text)
    assert logging.getLogger("azure.core").getEffectiveLevel() >= logging.WARNING


@pytest.fixture
def store(store):
    seed_store(store, load_seed())
    fx.load_fixtures(store)
    return store


@pytest.fixture
async def client(make_client, settings, store):
    return await make_client(settings, store, clock=fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE)))


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_a_my_number_sent_through_every_channel_never_comes_out(
    client, connector, store, caplog, spelling
):
    seen: list[str] = []  # every card answered in an invoke response

    async def invoke(user: str, verb: str, data: dict, *, name: str = "堺 太郎") -> dict:
        activity = execute_invoke(connector.url, verb, data, user_aad=user)
        activity["from"]["name"] = name
        response = await client.post("/api/messages", json=activity)
        assert response.status == 200
        body = await response.text()
        seen.append(body)
        return json.loads(body).get("value") or {}

    async def say(user: str, text: str, *, name: str = "堺 太郎") -> None:
        activity = personal_message(connector.url, text, user_aad=user)
        activity["from"]["name"] = name
        response = await client.post("/api/messages", json=activity)
        assert response.status in (200, 201)

    with caplog.at_level(logging.DEBUG):
        # message text: an unknown command (echoed in the hint), in a sentence and alone
        await say(fx.STAFF, spelling)
        await say(fx.STAFF, f"マイナンバー {spelling} を確認したい")
        # a display name, from someone not on the roster: stored with the conversation reference,
        # shown on the registration card, sent to the administrators with the request
        await say(fx.UNREGISTERED, "メニュー", name=f"堺 {spelling}")
        await invoke(fx.UNREGISTERED, "register.open", {}, name=f"堺 {spelling}")
        await invoke(
            fx.UNREGISTERED,
            "register.submit",
            {"unit": "健康福祉局", "message": f"番号は{spelling}"},
            name=f"堺 {spelling}",
        )
        # card data: the bureau field, the reason of a refused and of an accepted submission
        await invoke(fx.DX_HEALTH, op_cards.BUREAU_VERB, {"bureau": spelling})
        await invoke(fx.DX_HEALTH, op_cards.UPDATE_VERB, {"bureau": f"健康福祉局{spelling}"})
        form = await invoke(fx.DX_HEALTH, op_cards.UPDATE_VERB, {op_cards.BUREAU_INPUT: "健康福祉局"})
        data = action_data(form, op_cards.SUBMIT_VERB)
        await invoke(fx.DX_HEALTH, op_cards.SUBMIT_VERB, {**data, "done": "x", "reason": f"理由 {spelling}"})
        await invoke(
            fx.DX_HEALTH,
            op_cards.SUBMIT_VERB,
            {**data, "done": "30", "delayed": "30", "advanced": "", "reason": f"理由 {spelling}"},
        )
        # the administrator's people search, a grant's reason, the audit trail's entity id
        await invoke(fx.ADMIN, "admin.find", {"query": spelling})
        await invoke(fx.ADMIN, "admin.person", {"object_id": spelling})
        await invoke(fx.ADMIN, "admin.audit", {"entity_kind": "person", "entity_id": spelling})
        await invoke(
            fx.ADMIN,
            "admin.grant",
            {"object_id": fx.STAFF, "role": "dx_pro", "scope": "健康福祉局", "reason": f"理由 {spelling}"},
        )
        # unknown commands and verbs, a number as a JSON number, a verb made of the number
        await invoke(fx.STAFF, f"nothing.{spelling}", {"x": spelling})
        await invoke(fx.STAFF, "online_procedures.bureau", {"bureau": int(NUMBER)})
        await invoke(fx.STAFF, f"admin.{spelling}", {})

    sent = [json.dumps(a, ensure_ascii=False) for a in connector.activities + connector.updates]
    assert seen and sent  # the channels were exercised
    for text in seen + sent:
        assert not leaks(text), text[:300]
    assert not leaks(caplog.text)
    assert not leaks(repr(store.snapshot()))


@pytest.mark.parametrize("module", ["services.people", "services.online_procedures", "services.kernel.seed"])
def test_every_command_line_tool_installs_the_log_masking(module):
    import subprocess
    import sys

    script = (
        "import logging, runpy, sys\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='%(message)s')\n"
        f"sys.argv = ['{module}', '--help']\n"
        "try:\n"
        f"    runpy.run_module('{module}', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"logging.getLogger('any').warning('number {NUMBER}')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert "number ********9018" in result.stdout, result.stdout[-500:] + result.stderr[-500:]


@pytest.mark.parametrize("text", ["1234.5678.9011", "123-456-789-011", "2026.11.26 10:00:00", "v1.2.3.4.5.6"])
def test_odd_spellings_are_masked_only_when_their_check_digit_is_right(text):
    assert mask_my_number(text) == text
