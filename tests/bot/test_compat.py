from msrest.universal_http.requests import ClientRetryPolicy

from bot.compat import apply_msrest_retry_policy_fix

# What msrest 0.7.1 computes with its original list: every code < 999 that is not "safe".
ORIGINAL_SAFE = [i for i in range(500) if i != 408] + [501, 505]
EXPECTED_RETRY = [i for i in range(999) if i not in ORIGINAL_SAFE]


def test_fix_keeps_the_retry_codes_and_is_idempotent():
    apply_msrest_retry_policy_fix()
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    assert ClientRetryPolicy().policy.status_forcelist == EXPECTED_RETRY
    assert 408 in EXPECTED_RETRY and 429 not in EXPECTED_RETRY and 503 in EXPECTED_RETRY
    assert apply_msrest_retry_policy_fix() is False  # already fixed: left alone
