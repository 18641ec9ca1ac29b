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
