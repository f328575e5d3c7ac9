"""``python -m bench``: run the benchmarks, print ratios, write JSON and a PNG chart.

Exit status is non-zero only when a benchmark cannot run, never because a target is missed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback

from bench._machine import machine_details
from bench._report import Result, write

# memory (resident MiB, state bytes per household) is measured by the replay benchmark
BENCHES = ("ingest", "replay", "scaleout", "latency", "recovery")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only", default=",".join(BENCHES), help=f"comma-separated subset of {','.join(BENCHES)}"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("BENCH_SCALE", "1")),
        help="multiply the default sizes (e.g. 0.1 for a quick run)",
    )
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    results: list[Result] = []
    failed: list[str] = []
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        if name not in BENCHES:
            parser.error(f"unknown benchmark {name!r}; choose from {', '.join(BENCHES)}")
        print(f"\n== {name}", flush=True)
        t0 = time.monotonic()
        try:
            module = importlib.import_module(f"bench.bench_{name}")
            got = module.run(bootstrap=bootstrap, scale=args.scale)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        for result in got:
            print("   " + result.line(), flush=True)
        print(f"   ({time.monotonic() - t0:.0f} s)")
        results.extend(got)
    path = write(results, machine_details(bootstrap))
    print(f"\nresults: {path} (chart beside it)")
    if failed:
        print(f"could not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
