"""The suppression registry's contract (oncall/suppression.py), on its own."""

from datetime import UTC, datetime

from oncall.suppression import (
    Suppression,
    register_suppressor,
    suppression_for,
    unregister_suppressor,
)


class _Change:
    host = "dn1.example"


def test_first_suppressor_that_answers_wins_and_a_broken_one_does_not_swallow():
    ends = datetime(2030, 1, 1, tzinfo=UTC)

    def broken(change):
        raise RuntimeError("silence table unreachable")

    def maintenance(change):
        if change.host.startswith("dn1"):
            return Suppression(kind="maintenance", id=7, ends_at=ends, reason="disk swap")
        return None

    register_suppressor("broken", broken)
    register_suppressor(maintenance)
    try:
        found = suppression_for(_Change())
        assert found == Suppression(kind="maintenance", id=7, ends_at=ends, reason="disk swap")
        assert found.as_json()["ends_at"] == "2030-01-01T00:00:00+00:00"
        unregister_suppressor(maintenance)
        assert suppression_for(_Change()) is None
    finally:
        unregister_suppressor("broken")
        unregister_suppressor(maintenance)
