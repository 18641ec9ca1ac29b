"""Reading Adaptive Card dicts in tests: every element, the actions, the inputs, the JSON text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def card_json(card: Any) -> str:
    """The card as JSON (Japanese kept readable), for ``in`` assertions on anything in it."""
    return json.dumps(card, ensure_ascii=False)


def elements(node: Any) -> Iterator[dict]:
    """Every dict in the card, depth first, each before what it contains, in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from elements(item)


def of_type(node: Any, prefix: str) -> Iterator[dict]:
    """The elements whose ``type`` starts with ``prefix`` ("Action.", "Input.", "Action.Execute")."""
    return (element for element in elements(node) if str(element.get("type", "")).startswith(prefix))


def actions(node: Any) -> Iterator[dict]:
    """Every action (Action.*), in actions and ActionSets alike."""
    return of_type(node, "Action.")


def inputs(node: Any) -> list[dict]:
    """Every input (Input.*), in document order."""
    return list(of_type(node, "Input."))


def inputs_by_id(node: Any) -> dict[str, dict]:
    """Every input by its id."""
    return {element["id"]: element for element in inputs(node)}


def execute_buttons(node: Any) -> dict[str, dict]:
    """Every Action.Execute by its title (a later one wins a repeated title)."""
    return {
        element["title"]: element for element in elements(node) if element.get("type") == "Action.Execute"
    }


def action_data(card: Any, verb: str, **match: Any) -> dict:
    """The data of the first action whose data has that verb (and the ``match`` values)."""
    for action in actions(card):
        data = action.get("data") or {}
        if data.get("verb") == verb and all(data.get(k) == v for k, v in match.items()):
            return data
    raise AssertionError(f"no {verb} action {match} in the card")
