"""The HTTP edge: an incoming body becomes an activity once, strictly, or a 4xx.

:func:`parse_body` reads the bytes as UTF-8 JSON, and nothing else: no byte-order mark, no UTF-16,
no encoded surrogates, no ``charset`` other than UTF-8, no ``NaN``/``Infinity``, a bounded depth.
:func:`validate_activity` then checks the activity against the shape the bot reads: every field
botbuilder deserialises has the JSON type its model declares (derived from the msrest
``_attribute_map`` of ``botbuilder.schema``, so a field of the wrong type is refused here rather
than crashing a turn), the fields every turn needs are present, and the Teams parts the bot reads
(mentions, ``channelData``) have the types it expects. Botbuilder gets the activity parsed here;
it never parses the body again.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import botbuilder.schema as schema
import botbuilder.schema.teams as teams_schema
from botbuilder.schema import Activity

MAX_DEPTH = 24  # Teams activities nest 5–8 levels; a submitted card's data is flat
MAX_ID_CHARS = 1024  # ids end up in storage keys (Azure: 1 KiB)
MAX_TYPE_CHARS = 64
MAX_STRING_CHARS = 30_000  # any string field: Teams refuses messages over about 28 KB
MAX_NAME_CHARS = 256  # an invoke's or event's name
#: invokes whose ``value`` botbuilder reads into a model (an Action.Execute's value is read by
#: bot.actions, which answers a malformed one with a polite card)
INVOKE_VALUES = {"fileConsent/invoke": "FileConsentCardResponse"}
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)
_UTF8 = {"utf-8", "utf8"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadActivity(ValueError):
    """The body is not an activity the bot can read; ``str(error)`` is a short English reason."""


class UnsupportedMediaType(BadActivity):
    """Not ``application/json`` (415)."""


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The JSON object in ``raw``; raises :class:`BadActivity` (400) or :class:`UnsupportedMediaType`."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    charset = _CHARSET.search(content_type)
    if charset and charset.group(1).lower() not in _UTF8:
        raise BadActivity("the body must be UTF-8 JSON (charset=utf-8)")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise BadActivity("malformed JSON: a byte-order mark is not allowed")
    try:
        text = raw.decode("utf-8")  # strict: refuses encoded surrogates (ED A0 80) and stray bytes
        body = json.loads(text, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError):
        raise BadActivity("malformed JSON") from None
    if not isinstance(body, dict):
        raise BadActivity("the body is not a Bot Framework activity")
    if _depth(body) > MAX_DEPTH:
        raise BadActivity(f"the activity is nested more than {MAX_DEPTH} levels deep")
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item)
    return deepest


# --- the shape of an activity ------------------------------------------------------------------


def _model_fields(model: type) -> dict[str, str]:
    """JSON key → msrest type of a botbuilder.schema model."""
    return {spec["key"]: spec["type"] for spec in model._attribute_map.values()}  # noqa: SLF001


def _check(value: Any, kind: str, where: str) -> None:
    if value is None:
        return
    if kind == "str":
        if not isinstance(value, str):
            raise BadActivity(f"{where} must be a string")
        if len(value) > MAX_STRING_CHARS:
            raise BadActivity(f"{where} is longer than {MAX_STRING_CHARS} characters")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise BadActivity(f"{where} must be true or false")
    elif kind in ("int", "long"):
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**53:
            raise BadActivity(f"{where} must be an integer")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadActivity(f"{where} must be a number")
    elif kind == "iso-8601":
        if not isinstance(value, str) or not _is_timestamp(value):
            raise BadActivity(f"{where} must be an ISO 8601 timestamp")
    elif kind == "object":
        return
    elif kind.startswith("[") and kind.endswith("]"):
        if not isinstance(value, list):
            raise BadActivity(f"{where} must be a list")
        for index, item in enumerate(value):
            if item is None:
                raise BadActivity(f"{where}[{index}] must not be null")
            _check(item, kind[1:-1], f"{where}[{index}]")
    elif kind.startswith("{") and kind.endswith("}"):
        if not isinstance(value, dict):
            raise BadActivity(f"{where} must be an object")
        for key, item in value.items():
            _check(item, kind[1:-1], f"{where}.{key}")
    else:
        model = getattr(schema, kind, None) or getattr(teams_schema, kind, None)
        if model is None or not hasattr(model, "_attribute_map"):
            return  # an enum or a type botbuilder keeps as it comes
        if not isinstance(value, dict):
            raise BadActivity(f"{where} must be an object")
        fields = _model_fields(model)
        for key, item in value.items():
            if key in fields:
                _check(item, fields[key], f"{where}.{key}")


def _is_timestamp(text: str) -> bool:
    if len(text) > 40:
        return False
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    # Bot Framework sends 7 fractional digits (.NET); fromisoformat takes up to 6
    candidate = re.sub(r"(\.\d{6})\d+", r"\1", candidate)
    try:
        datetime.fromisoformat(candidate)
    except ValueError:
        return False
    return "T" in candidate or "t" in candidate


def _text(value: Any, where: str, *, required: bool = False, limit: int = MAX_ID_CHARS) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value):
        raise BadActivity(f"{where} must be a non-empty string" if required else f"{where} must be a string")
    if len(value) > limit or _CONTROL.search(value):
        raise BadActivity(f"{where} is too long or contains control characters")


def _object(value: Any, where: str, *, required: bool = False) -> dict[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise BadActivity(f"{where} must be an object")
    return value


def _check_by_type(body: dict[str, Any]) -> None:
    """What one type of activity needs beyond the common fields: an invoke its name (botbuilder
    would route a nameless one into a turn), the value of the invokes read into a model, and a
    message's value (what a card submitted) an object."""
    if body["type"] == "invoke":
        _text(body.get("name"), "name", required=True, limit=MAX_NAME_CHARS)
        model = INVOKE_VALUES.get(body["name"])
        if model is not None:
            _object(body.get("value"), "value", required=True)
            _check(body["value"], model, "value")
    elif body["type"] == "event":
        _text(body.get("name"), "name", limit=MAX_NAME_CHARS)
    elif body["type"] == "message" and "value" in body:
        _object(body["value"], "value")  # a card's Action.Submit data: always an object


def validate_activity(body: dict[str, Any]) -> Activity:
    """The activity in ``body``, or :class:`BadActivity` naming the first field that is wrong."""
    _text(body.get("type"), "type", required=True, limit=MAX_TYPE_CHARS)
    _check(body, "Activity", "activity")
    # what every turn needs: where to answer, in which conversation, from whom
    _text(body.get("serviceUrl"), "serviceUrl", required=True, limit=2048)
    if not re.match(r"^https?://[^\s/?#]+", body["serviceUrl"]):
        raise BadActivity("serviceUrl must be an http(s) URL")
    conversation = _object(body.get("conversation"), "conversation", required=True)
    _text(conversation.get("id"), "conversation.id", required=True)
    for side in ("from", "recipient"):
        account = _object(body.get(side), side, required=True)
        _text(account.get("id"), f"{side}.id")
        _text(account.get("aadObjectId"), f"{side}.aadObjectId", limit=256)
        if re.search(r"[/\\#?]", account.get("aadObjectId") or ""):  # becomes a storage key
            raise BadActivity(f"{side}.aadObjectId is not an object id")
        _text(account.get("name"), f"{side}.name", limit=1024)
    for index, entity in enumerate(body.get("entities") or []):
        _object(entity, f"entities[{index}]", required=True)
        if str(entity.get("type") or "").lower() == "mention":
            _text(entity.get("text"), f"entities[{index}].text", limit=4096)
            mentioned = _object(entity.get("mentioned"), f"entities[{index}].mentioned")
            _text(mentioned.get("id"), f"entities[{index}].mentioned.id")
            _text(mentioned.get("name"), f"entities[{index}].mentioned.name")
    channel_data = _object(body.get("channelData"), "channelData")
    _check(channel_data, "TeamsChannelData", "channelData")  # what botbuilder's Teams handler reads
    for part in ("tenant", "team", "channel"):
        value = _object(channel_data.get(part), f"channelData.{part}")
        _text(value.get("id"), f"channelData.{part}.id")
        _text(value.get("name"), f"channelData.{part}.name")
    for index, attachment in enumerate(body.get("attachments") or []):
        _object(attachment, f"attachments[{index}]", required=True)
    _check_by_type(body)
    try:
        activity = Activity().deserialize(body)
    except Exception as error:  # msrest's own refusal, whatever its type
        raise BadActivity(f"not an activity ({type(error).__name__})") from None
    if not activity.type or activity.conversation is None or activity.from_property is None:
        raise BadActivity("the body is not a Bot Framework activity")
    return activity
