"""Every card the code can build, validated against the official Adaptive Cards 1.5 schema.

Each programme adds its cards to ``every_card()`` below, built from realistic (seed-sized or
larger) inputs so the size check means something.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib import resources

import jsonschema
import pytest

from bot.programmes import PROGRAMMES
from cards.common import MAX_CARD_BYTES, card_size_bytes, error_banner, fact_set, header, submit_action
from cards.common import adaptive_card as build_card
from cards.menu import (
    error_card,
    files_help_card,
    menu_card,
    not_allowed_card,
    preparing_card,
    unknown_command_hint,
)
from tests.cards import (
    cashless_samples,
    digital_divide_samples,
    dx_samples,
    files_samples,
    literacy_samples,
    mynumber_audit_samples,
    mynumber_samples,
    online_procedures_samples,
    people_samples,
    proactive_samples,
    standardization_samples,
)
from tests.support.cards import actions as _actions

INFOS = [p.info for p in PROGRAMMES]


def every_card() -> Iterator[tuple[str, Callable[[], dict]]]:
    yield "menu", lambda: menu_card(INFOS)
    yield "menu+hint", lambda: menu_card(INFOS, unknown_command_hint("あいうえお" * 20))
    for info in INFOS:
        yield f"preparing:{info.key}", lambda info=info: preparing_card(info)
    yield "menu+admin", lambda: menu_card(INFOS, admin=True)
    yield "menu+registration-offer", lambda: menu_card(INFOS, registration="offer")
    yield (
        "menu+registration-pending",
        lambda: menu_card(INFOS, registration="登録依頼を受け付けています（11月26日）。"),
    )
    yield from people_samples.cards()
    yield from online_procedures_samples.samples()
    yield from mynumber_samples.samples()
    yield from mynumber_audit_samples.samples()
    yield from proactive_samples.samples()
    yield from files_samples.samples()
    yield from cashless_samples.samples()
    yield from dx_samples.samples()
    yield from standardization_samples.samples()
    yield from literacy_samples.samples()
    yield from digital_divide_samples.samples()
    yield (
        "not_allowed",
        lambda: not_allowed_card("四半期実績の更新", "その局の DX PRO と ICTイノベーション推進室"),
    )
    yield "error", lambda: error_card("入力内容を確認してください。")
    yield (
        "files-help",
        lambda: files_help_card([("組織ファイル・名簿ファイル", "管理者"), ("オンライン化の表", "管理者")]),
    )
    yield (
        "building-blocks",
        lambda: build_card(
            [*header("見出し", "補足"), fact_set([("完了", "10件")]), error_banner("エラー")],
            [submit_action("送信", "demo.submit", {"x": 1})],
        ),
    )


# --- Teams charts: an extension of the 1.5 schema ------------------------------------------------
#
# Teams draws Chart.* elements inside version 1.5 cards ("Charts in Adaptive Cards", Microsoft Teams
# platform docs), but the official schema-1.5.json predates them, so every card with a chart would
# fail as an unknown element. Rather than skip validation for those cards, the schema is extended
# with the chart shapes Teams documents, strictly (no unknown properties), and with one rule of our
# own (DESIGN §4): every chart must carry a ``fallback``, a Table, FactSet or Container that clients
# without charts render instead.

_XY = {
    "type": "object",
    "required": ["x", "y"],
    "additionalProperties": False,
    "properties": {"x": {"type": ["string", "number"]}, "y": {"type": "number"}, "color": {"type": "string"}},
}
_SERIES = {
    "type": "object",
    "required": ["legend", "values"],
    "additionalProperties": False,
    "properties": {
        "legend": {"type": "string"},
        "values": {"type": "array", "items": _XY},
        "color": {"type": "string"},
    },
}
_SLICE = {
    "type": "object",
    "required": ["legend", "value"],
    "additionalProperties": False,
    "properties": {"legend": {"type": "string"}, "value": {"type": "number"}, "color": {"type": "string"}},
}
_AXES = {
    "xAxisTitle": {"type": "string"},
    "yAxisTitle": {"type": "string"},
    "showBarValues": {"type": "boolean"},
    "yMin": {"type": "number"},
    "yMax": {"type": "number"},
}
TEAMS_CHARTS: dict[str, dict] = {
    "Chart.Donut": {"data": {"type": "array", "items": _SLICE}},
    "Chart.Pie": {"data": {"type": "array", "items": _SLICE}},
    "Chart.VerticalBar": {"data": {"type": "array", "items": _XY}, **_AXES},
    "Chart.VerticalBar.Grouped": {
        "data": {"type": "array", "items": _SERIES},
        "stacked": {"type": "boolean"},
        **_AXES,
    },
    "Chart.HorizontalBar": {
        "data": {"type": "array", "items": _XY},
        "displayMode": {"type": "string"},
        **_AXES,
    },
    "Chart.HorizontalBar.Stacked": {
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title", "data"],
                "additionalProperties": False,
                "properties": {"title": {"type": "string"}, "data": {"type": "array", "items": _SLICE}},
            },
        },
        **_AXES,
    },
    "Chart.Line": {"data": {"type": "array", "items": _SERIES}, **_AXES},
}
_CHART_FALLBACKS = ("Table", "FactSet", "Container")


def teams_schema(schema: dict) -> dict:
    """The official 1.5 schema plus the Teams chart elements (see above)."""
    definitions = schema["definitions"]
    fallback = {
        "anyOf": [
            {
                "required": ["type"],
                "allOf": [{"$ref": f"#/definitions/{name}"}],
                "properties": {"type": {"enum": [name]}},
            }
            for name in _CHART_FALLBACKS
        ]
    }
    for name, properties in TEAMS_CHARTS.items():
        definitions[name] = {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "data", "fallback"],
            "properties": {
                "type": {"enum": [name]},
                "title": {"type": "string"},
                "colorSet": {"type": "string"},
                "fallback": fallback,
                "id": {"type": "string"},
                "isVisible": {"type": "boolean"},
                "separator": {"type": "boolean"},
                "spacing": {"$ref": "#/definitions/Spacing"},
                "height": {"$ref": "#/definitions/BlockElementHeight"},
                "horizontalAlignment": {"$ref": "#/definitions/HorizontalAlignment"},
                **properties,
            },
        }
    # anyOf stops at the first match and its order means nothing, so try the charts first, then the
    # everyday elements: a chart tried against every other element first would validate its
    # fallback table again for each (seconds per card); a chart schema rejects others at once.
    official = definitions["ImplementationsOf.Element"]["anyOf"]
    common = ("TextBlock", "Container", "ColumnSet", "FactSet", "Table", "ActionSet")
    rank = {name: i for i, name in enumerate(common)}
    official.sort(key=lambda option: rank.get(option["allOf"][0]["$ref"].rsplit("/", 1)[-1], len(common)))
    charts = [{"required": ["type"], "allOf": [{"$ref": f"#/definitions/{name}"}]} for name in TEAMS_CHARTS]
    definitions["ImplementationsOf.Element"]["anyOf"] = charts + official
    return schema


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft6Validator:
    schema_text = (
        resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text(encoding="utf-8")
    )
    schema = teams_schema(json.loads(schema_text))
    return jsonschema.Draft6Validator(schema)


def _chart_card(chart: dict) -> dict:
    return {"type": "AdaptiveCard", "version": "1.5", "body": [chart]}


def test_the_extended_schema_knows_teams_charts_and_requires_a_fallback(validator):
    chart = {
        "type": "Chart.VerticalBar.Grouped",
        "title": "計画と実績",
        "data": [{"legend": "計画", "values": [{"x": "財政局", "y": 10}]}],
        "fallback": fact_set([("財政局", "10件")]),
    }
    assert not list(validator.iter_errors(_chart_card(chart)))
    no_fallback = {k: v for k, v in chart.items() if k != "fallback"}
    assert list(validator.iter_errors(_chart_card(no_fallback)))
    text_fallback = {**chart, "fallback": {"type": "TextBlock", "text": "グラフ"}}
    assert list(validator.iter_errors(_chart_card(text_fallback)))  # a Table, FactSet or Container
    wrong_data = {**chart, "data": [{"x": "財政局", "y": 10}]}  # a grouped chart takes series
    assert list(validator.iter_errors(_chart_card(wrong_data)))
    unknown = {**chart, "colour": "red"}
    assert list(validator.iter_errors(_chart_card(unknown)))


@pytest.mark.parametrize(("name", "build"), list(every_card()), ids=[n for n, _ in every_card()])
def test_card_is_valid_adaptive_card_1_5(name, build, validator):
    card = build()
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.absolute_path))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert card.get("version") == "1.5"  # the schema does not require it
    assert card_size_bytes(card) < MAX_CARD_BYTES


def test_the_validator_rejects_a_broken_card(validator):
    broken = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]}  # no text
    assert list(validator.iter_errors(broken))


def test_every_action_carries_a_verb():
    for name, build in every_card():
        text = json.dumps(build(), ensure_ascii=False)
        for action in _actions(json.loads(text)):
            if action["type"] in ("Action.Execute", "Action.Submit"):
                assert action.get("data", {}).get("verb"), f"{name}: an action without a verb"
