"""The broker probe's verdict (inbox.health.BrokerProbe): down at the first failed probe or
when answers stop coming, up again at the first success, each change logged once."""

from __future__ import annotations

from structlog.testing import capture_logs

from inbox.health import BrokerProbe
from schemas.settings import KafkaSettings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def probe(clock):
    return BrokerProbe(KafkaSettings(), stale_after_s=3.0, clock=clock)


def test_a_failed_probe_means_down_at_once_and_a_success_up_again():
    clock = Clock()
    p = probe(clock)
    with capture_logs() as logs:
        assert p.up()
        clock.now += 1
        p.note(False, "NodeNotReadyError")
        assert not p.up()
        assert p.status().since == 101.0
        clock.now += 1
        p.note(False, "NodeNotReadyError")  # still down, since the first failure
        assert p.status().since == 101.0
        clock.now += 5
        p.note(True)
        assert p.up()
    assert [(e["event"], e["log_level"]) for e in logs] == [
        ("kafka does not answer", "warning"),
        ("kafka answers again", "info"),
    ]
    assert logs[1]["down_s"] == 6.0


def test_no_answer_for_a_while_means_down_without_a_failed_probe():
    clock = Clock()
    p = probe(clock)
    p.note(True)
    clock.now += 2.9
    assert p.up()
    clock.now += 0.2  # a hanging broker: the probe under way has not even failed yet
    status = p.status()
    assert (status.up, status.since, status.reason) == (False, 103.0, "no answer")
    with capture_logs() as logs:
        clock.now += 7
        p.note(False, "RequestTimedOutError")  # the hung probe finally gives up
        assert p.status().since == 103.0
    assert [e["event"] for e in logs] == ["kafka does not answer"]
