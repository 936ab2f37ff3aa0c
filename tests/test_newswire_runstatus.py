"""newswire.runstatus: the run states, which of them are final, and their stored text."""

from __future__ import annotations

import pytest

from newswire.runstatus import RunStatus


def test_the_states_in_order_and_as_stored() -> None:
    assert list(RunStatus) == [
        "queued", "running", "succeeded", "failed", "interrupted", "cancelled"
    ]  # fmt: skip
    assert RunStatus.finals() == ("succeeded", "failed", "interrupted", "cancelled")


@pytest.mark.parametrize(
    ("text", "final"),
    [("queued", False), ("running", False), ("succeeded", True), ("cancelled", True),
     ("exploded", False), ("", False)],
)  # fmt: skip
def test_is_final(text: str, final: bool) -> None:
    assert RunStatus.is_final(text) is final
