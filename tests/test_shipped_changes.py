"""The change files shipped in instances/changes/ load and apply to the small sample."""

import json
from pathlib import Path

import pytest

from iop_scheduler.changes import apply_changes, load_changes, parse_changes
from iop_scheduler.errors import InputError
from iop_scheduler.io import load_instance

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["small-callout.json", "small-admission.json"])
def test_shipped_change_files_apply_to_the_small_sample(name: str) -> None:
    week = load_instance(str(ROOT / "instances" / "small.json"))
    changes = load_changes(str(ROOT / "instances" / "changes" / name))
    after = apply_changes(week, changes.changes)
    assert after != week


def test_the_call_out_frees_sw1_on_monday() -> None:
    week = load_instance(str(ROOT / "instances" / "small.json"))
    changes = load_changes(str(ROOT / "instances" / "changes" / "small-callout.json"))
    after = apply_changes(week, changes.changes)
    assert not after.clinician_by_id["sw1"].availability.get("mon")
    assert week.clinician_by_id["sw1"].availability.get("mon")


def test_the_admission_swaps_c12_for_c26() -> None:
    week = load_instance(str(ROOT / "instances" / "small.json"))
    changes = load_changes(str(ROOT / "instances" / "changes" / "small-admission.json"))
    after = apply_changes(week, changes.changes)
    ids = {c.id for c in after.clients}
    assert "c26" in ids and "c12" not in ids and len(ids) == len(week.clients)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # Found by a coordinator walk-through: pydantic's own words ("Input tag 'room_close'
        # found using 'kind' does not match any of the expected tags") and its union tag
        # in the path ("changes[0].clinician_unavailable.day").
        (
            {"kind": "room_close", "room": "r1"},
            "changes[0].kind: unknown value 'room_close' (expected 'clinician_unavailable',",
        ),
        # Found by review: a change's value was still converted from text or true.
        (
            {"kind": "set_rule", "rule": "min_days_per_client_week", "value": "2"},
            'changes[0].value: must be a number, not "2"',
        ),
        (
            {"kind": "set_weight", "weight": "staff_minute", "value": True},
            "changes[0].value: must be a number, not true",
        ),
        # A field whose name another value happens to hold keeps its name in the path.
        (
            {"kind": "clinician_unavailable", "clinician": "day"},
            "changes[0].day: required field is missing",
        ),
        (
            {"kind": "clinician_unavailable", "clinician": "cl2", "day": "Mon"},
            "changes[0].day: must be 'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or 'sun' "
            "(got 'Mon')",
        ),
    ],
)
def test_a_bad_change_is_named_in_the_files_own_words(tmp_path, change, message) -> None:
    path = tmp_path / "changes.json"
    path.write_text(json.dumps({"format": "iop-changes/1", "changes": [change]}))
    with pytest.raises(InputError) as caught:
        load_changes(path)
    assert message in str(caught.value)


def test_a_change_on_a_day_that_is_not_a_program_day_is_bad_input() -> None:
    # It changed nothing and said nothing ("0 client(s) affected"): most likely a typo.
    week = load_instance(ROOT / "instances" / "small.json")
    callout = {"kind": "clinician_unavailable", "clinician": "sw1", "day": "sat"}
    changes = parse_changes({"format": "iop-changes/1", "changes": [callout]}).changes
    with pytest.raises(InputError, match=r"changes\[0\]\.day: sat is not a program day"):
        apply_changes(week, changes)


def test_a_change_window_off_the_grid_is_bad_input() -> None:
    # Found by a fuzz run: [7, "12:00"] was taken as 00:07-12:00.
    week = load_instance(ROOT / "instances" / "small.json")
    callout = {"kind": "clinician_unavailable", "clinician": "sw1", "day": "mon",
               "window": [7, "12:00"]}  # fmt: skip
    changes = parse_changes({"format": "iop-changes/1", "changes": [callout]}).changes
    with pytest.raises(InputError, match=r"changes\[0\]\.window: 00:07 is off the 30-minute"):
        apply_changes(week, changes)

