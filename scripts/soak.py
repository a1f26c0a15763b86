#!/usr/bin/env python3
"""The fault soak for longer than the test suite's two minutes (sim/soak.py):

    scripts/soak.py --minutes 30 [--binary build/exporter/app/batchwatch] [--seed N] [--keep]

Random churn of Jobs and CronJobs through the fake API server with random faults (dropped and
malformed watch streams, 410 storms, 429/500 bursts, API server restarts); at the end
batchwatch's counters must match the truth exactly and RSS, threads and file descriptors must
not have grown. Prints resource samples along the way; exit status 0 on success."""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sim"))
from soak import Soak, SoakFailure  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "exporter", "app", "batchwatch"))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--keep", action="store_true", help="keep the work folder (batchwatch.log)")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        ap.error("no batchwatch binary at %s (build it or pass --binary)" % args.binary)
    soak = Soak(args.binary, int(args.minutes * 60), seed=args.seed,
                log=lambda m: print(m, flush=True))
    try:
        summary = soak.run()
    except SoakFailure as e:
        print("FAILED:", e, flush=True)
        print("work folder (kept):", soak.workdir)
        return 1
    for s in soak.samples:
        print("%-6s +%5.0fs rss=%6d kB threads=%3d fds=%3d jobs=%4d runs=%5d/%5d events=%6d" % (
            s["label"], s["t"] - soak.samples[0]["t"], s["rss_kb"], s["threads"], s["fds"],
            s["jobs"], s["runs_seen"], s["runs_true"], s["events"]))
    print(json.dumps(summary, indent=1))
    if args.keep:
        print("work folder:", soak.workdir)
    else:
        soak.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
