"""The shared submission markers and count parser (services.kernel.submissions, services.kernel.numbers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.kernel.numbers import parse_count
from services.kernel.submissions import Submission, SubmissionMarkers, new_submission_id, valid_submission_id
from storage.base import BatchFailed, EntityExists
from tests.fakes import InMemoryTableStore

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


@pytest.fixture
def markers():
    return SubmissionMarkers(InMemoryTableStore(), "Things", "state")


def save(markers: SubmissionMarkers, submission: Submission, result: str = '{"ok": 1}') -> None:
    markers._store.batch(markers.table, [markers.insert(submission, result, NOW)])


def test_only_the_same_person_same_record_same_values_is_a_duplicate(markers):
    card = new_submission_id()
    mine = Submission(card, "oid-a", "健康福祉局", {"done": 40})
    save(markers, mine)
    assert markers.is_duplicate(Submission(card, "oid-a", "健康福祉局", {"done": 40}))
    assert markers.find(mine).result == '{"ok": 1}'
    for other in (
        Submission(card, "oid-b", "健康福祉局", {"done": 40}),  # another person on the shared card
        Submission(card, "oid-a", "子ども青少年局", {"done": 40}),  # another record, same card id
        Submission(card, "oid-a", "健康福祉局", {"done": 41}),  # other values
        Submission(new_submission_id(), "oid-a", "健康福祉局", {"done": 40}),  # another card
    ):
        assert markers.find(other) is None, other


def test_values_are_compared_normalised(markers):
    card = new_submission_id()
    save(markers, Submission(card, "oid-a", "局", {"reason": "委託先との調整", "ids": {"b", "a"}}))
    again = Submission(card, "oid-a", "局", {"ids": {"a", "b"}, "reason": "　委託先との調整 "})
    assert markers.is_duplicate(again)


def test_a_new_submission_of_the_same_card_gets_its_own_marker(markers):
    card = new_submission_id()
    save(markers, Submission(card, "oid-a", "局", {"done": 1}))
    save(markers, Submission(card, "oid-b", "局", {"done": 1}))
    save(markers, Submission(card, "oid-a", "局", {"done": 2}))
    with pytest.raises(BatchFailed) as failed:  # the retry itself collides: saved once
        save(markers, Submission(card, "oid-a", "局", {"done": 1}))
    assert isinstance(failed.value.cause, EntityExists)


def test_a_marker_whose_fields_differ_is_never_answered(markers):
    card = new_submission_id()
    submission = Submission(card, "oid-a", "局", {"done": 1})
    forged = markers.entity(Submission(card, "oid-b", "局", {"done": 1}), "{}", NOW)
    moved = type(forged)(forged.partition_key, markers.row_key(submission), forged.properties)
    markers._store.insert("Things", moved)
    assert markers.find(submission) is None


def test_card_ids():
    assert valid_submission_id(new_submission_id())
    assert not valid_submission_id("../" + "a" * 29) and not valid_submission_id(None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("１２", 12),
        ("12件", 12),
        ("12 人", 12),
        ("３回", 3),
        ("1,234", 1234),
        ("3.0", 3),
        (" 7 ", 7),
    ],
)
def test_counts_as_people_write_them(text, expected):
    assert parse_count(text, required=True) == (expected, "")


@pytest.mark.parametrize("text", ["-1", "1.5", "abc", "12個", "件", "٣", "1e3", "0x10", "9" * 10, "9" * 5000])
def test_anything_else_is_refused_with_a_reason(text):
    value, error = parse_count(text, required=True)
    assert value is None and error


def test_blank_and_bounds():
    assert parse_count("", required=False) == (0, "")
    assert parse_count(None, required=True) == (None, "入力してください")
    assert parse_count("101", required=True, maximum=100)[1] == "100以下で入力してください"
    assert parse_count("1234", required=True, max_digits=3)[1] == "3桁以内で入力してください"
    assert parse_count("0001", required=True, max_digits=3) == (1, "")
