"""The stall watchdog's judgement (streams.runtime.watchdog.StallTracker), on a given clock."""

from __future__ import annotations

from streams.runtime.watchdog import StallTracker


def test_a_partition_with_lag_whose_position_stays_is_stalled_after_the_threshold():
    t = StallTracker[str](stall_seconds=10)
    assert t.observe(0, {"a": 5, "b": 7}, {"a": 9, "b": 7}) == []
    assert t.observe(9.9, {"a": 5, "b": 7}, {"a": 12, "b": 7}) == []
    [stall] = t.observe(10, {"a": 5, "b": 7}, {"a": 12, "b": 9})
    assert (stall.partition, stall.position, stall.lag, stall.seconds, stall.again) == (
        "a", 5, 7, 10, False,
    )  # fmt: skip
    # "b" got lag only at t=10: its clock starts then, not at its last movement
    assert [s.partition for s in t.observe(19, {"a": 5, "b": 7}, {"a": 12, "b": 9})] == ["a"]


def test_moving_or_caught_up_partitions_are_never_stalled():
    t = StallTracker[str](stall_seconds=5)
    for now in range(0, 60, 5):
        moving = {"m": now}  # the position advances at every reading
        assert t.observe(now, {**moving, "idle": 3}, {"m": now + 100, "idle": 3}) == []


def test_unknown_end_offsets_do_not_count_as_stalled():
    t = StallTracker[str](stall_seconds=5)
    assert t.observe(0, {"a": 1}, {}) == []
    assert t.observe(100, {"a": 1}, {}) == []  # the broker did not answer: no verdict


def test_restarting_the_clocks_forgives_the_time_before():
    t = StallTracker[str](stall_seconds=10)
    t.observe(0, {"a": 1}, {"a": 5})
    t.restart_clocks()  # e.g. a restore ran: its partitions did not move, rightly
    assert t.observe(10, {"a": 1}, {"a": 5}) == []
    assert t.observe(19, {"a": 1}, {"a": 5}) == []
    assert len(t.observe(20, {"a": 1}, {"a": 5})) == 1


def test_a_second_stall_at_the_same_position_is_marked_again():
    t = StallTracker[str](stall_seconds=10)
    t.observe(0, {"a": 1}, {"a": 5})
    [first] = t.observe(10, {"a": 1}, {"a": 5})
    assert not first.again
    t.restart_clocks()  # the remedy: a new consumer
    t.observe(11, {"a": 1}, {"a": 5})
    [second] = t.observe(21, {"a": 1}, {"a": 5})
    assert second.again


def test_progress_after_a_stall_clears_it():
    t = StallTracker[str](stall_seconds=10)
    t.observe(0, {"a": 1}, {"a": 5})
    t.observe(10, {"a": 1}, {"a": 5})
    t.restart_clocks()
    t.observe(11, {"a": 3}, {"a": 9})  # it moved after the remedy
    t.observe(12, {"a": 1}, {"a": 9})  # (a seek back, as after a rebalance)
    [later] = t.observe(22, {"a": 1}, {"a": 9})
    assert not later.again  # a new stall, not the old one surviving its remedy


def test_zero_seconds_turns_the_watchdog_off():
    t = StallTracker[str](stall_seconds=0)
    t.observe(0, {"a": 1}, {"a": 5})
    assert t.observe(3600, {"a": 1}, {"a": 5}) == []
