"""Scale-out: the replay with two hub workers in one consumer group against one worker.

Both runs read the same prepared household topic under fresh app ids (consumer groups), so
they do identical work; the figure is the speed-up of two workers over one. The one-worker
run of the replay benchmark is reused when it ran on the same topic in this run.
"""

from __future__ import annotations

import uuid

from bench._hub import Drain, Hub
from bench._prepared import Prepared, prepared
from bench._report import Result
from bench.bench_replay import EVENTS, HOUSEHOLDS, ONE_WORKER


def _replay(prep: Prepared, bootstrap: str, workers: int) -> Drain:
    app_id = f"{prep.settings.topic_prefix}-scale{workers}-{uuid.uuid4().hex[:4]}"
    hub = Hub(bootstrap, prep.settings.topic_prefix, app_id, prep.workdir / app_id, prep.keys_dir)
    hub.workdir.mkdir(parents=True)
    for n in range(workers):
        hub.start(n)
    try:
        return hub.wait_drained(prep.topic)
    finally:
        hub.stop()


def run(*, bootstrap: str, scale: float) -> list[Result]:
    n_events, n_households = int(EVENTS * scale), max(10, int(HOUSEHOLDS * scale))
    prep = prepared(bootstrap, n_events, n_households)
    one = ONE_WORKER.get(prep.topic) or _replay(prep, bootstrap, 1)
    two = _replay(prep, bootstrap, 2)
    return [
        Result(
            "scaleout",
            "two workers, events/s (steady)",
            two.steady_rate,
            "ev/s",
            one.steady_rate,
            "one worker",
            "> 1 x one worker",
            two.steady_rate > one.steady_rate,
            {"one_wall_s": one.drained, "two_wall_s": two.drained, "cores": 2},
        ),
        Result(
            "scaleout",
            "two workers, events/s (incl. start-up)",
            prep.events / two.drained,
            "ev/s",
            prep.events / one.drained,
            "one worker",
        ),
    ]
