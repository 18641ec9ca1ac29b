"""Compatibility shims for the archived botbuilder 4.17.1 stack. Each is guarded and tested.

msrest ``ClientRetryPolicy``
    The adapter builds fresh connector clients on every turn, and each builds msrest
    ``ClientRetryPolicy`` objects. Their ``__init__`` computes the retry status list as
    ``[i for i in range(999) if i not in self.safe_codes]`` where ``safe_codes`` is a *list* of
    ~500 ints: a quadratic scan of about 4 ms a time, which dominated each turn on this machine.
    Turning ``safe_codes`` into a ``frozenset`` keeps the same codes and makes the scan linear.
    The guard applies the change only while ``safe_codes`` is still a list, so a fixed msrest
    (or a second call) is left alone. ``tests/bot/test_compat.py`` checks the retry codes are
    unchanged; ``bench/turns.py`` measures the effect.

msrest error bodies that are not JSON
    When the connector answers an error with a body that is neither JSON nor XML (a gateway's
    ``502 Bad Gateway`` in ``text/plain`` or ``text/html``), msrest's ``RawDeserializer`` raises
    ``DeserializationError("Cannot deserialize content-type: text/plain")`` *before* the operation
    looks at the status, so the caller cannot tell a 502 (retry) from a 400 (do not). The shim
    leaves such an error body undeserialised; the operation then raises its usual
    ``ErrorResponseException`` carrying the response, status and headers (``Retry-After``).
    Successful responses are untouched. Guarded by a marker attribute, so it applies once.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def apply_msrest_retry_policy_fix() -> bool:
    """Make ``ClientRetryPolicy.safe_codes`` a frozenset. Returns True if it changed anything."""
    try:
        from msrest.universal_http.requests import ClientRetryPolicy
    except ImportError:  # msrest gone: nothing to fix
        return False
    codes = getattr(ClientRetryPolicy, "safe_codes", None)
    if not isinstance(codes, list):
        return False
    ClientRetryPolicy.safe_codes = frozenset(codes)
    logger.debug("msrest ClientRetryPolicy.safe_codes made a frozenset (%d codes)", len(codes))
    return True


def apply_msrest_error_body_fix() -> bool:
    """Let a non-JSON error body through as "no body" (see the module docstring)."""
    try:
        from msrest.exceptions import DeserializationError
        from msrest.pipeline.universal import RawDeserializer
    except ImportError:
        return False
    original = RawDeserializer.on_response
    if getattr(original, "_ict_error_body_fix", False):
        return False

    def on_response(self, request, response, **kwargs):
        try:
            return original(self, request, response, **kwargs)
        except DeserializationError:
            status = getattr(getattr(response, "http_response", None), "status_code", 200)
            if status < 400:
                raise
            response.context[self.CONTEXT_NAME] = None
            return None

    on_response._ict_error_body_fix = True  # type: ignore[attr-defined]
    RawDeserializer.on_response = on_response
    logger.debug("msrest RawDeserializer lets non-JSON error bodies through")
    return True
