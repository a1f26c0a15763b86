#!/usr/bin/env python3
"""The demo stack: a simulated cluster (sim/simulator.py), batchwatch against it, and
Debian's Prometheus (scraping every second, with the shipped alert rules) and Alertmanager.
Prints the URLs to open; Ctrl-C stops everything it started."""
import argparse
import os
import shutil
import signal
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sim"))
from fake_apiserver import FakeCluster, serve  # noqa: E402
from simulator import Simulator, job_groups, scenario  # noqa: E402
import stack  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batchwatch", default=os.path.join(ROOT, "build/exporter/app/batchwatch"))
    ap.add_argument("--listen-address", default="127.0.0.1:9981",
                    help="where batchwatch serves (default 127.0.0.1:9981)")
    args, extra = ap.parse_known_args()

    cluster = FakeCluster()
    server = serve(cluster, 0)
    sim = Simulator(cluster, scenario("demo"), job_groups=job_groups("demo"))
    sim.start()
    rules = os.path.join(ROOT, "alerts", "batchwatch.rules.yml")
    with stack.ProcessGroup() as group:
        # Ctrl-C and SIGTERM both end the demo through the `finally` below, even when started
        # from a shell that ignores SIGINT in background jobs.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        group.start("batchwatch", [args.batchwatch, "--apiserver", server.url,
                                   "--listen-address", args.listen_address] + extra)
        host, port = args.listen_address.rsplit(":", 1)
        bw = "http://%s:%s" % (host or "127.0.0.1", port)
        stack.wait_until(lambda: (group.check_alive(), stack.http_json_ok(bw + "/healthz"))[1],
                         30, what="batchwatch")
        lines = ["", "batchwatch demo is running (Ctrl-C stops everything):",
                 "  simulated cluster (fake API server): %s" % server.url,
                 "  batchwatch landing page:            %s/" % bw,
                 "  batchwatch metrics:                 %s/metrics" % bw,
                 "  batchwatch readiness:               %s/readyz" % bw]
        if shutil.which("prometheus") and shutil.which("prometheus-alertmanager") and \
                os.path.exists(rules):
            am = stack.start_alertmanager(group)
            prom = stack.start_prometheus(group, bw, [rules], am)
            lines += ["  Prometheus (alerts page):           %s/alerts" % prom,
                      "  Alertmanager:                       %s" % am]
        else:
            lines += ["  (Prometheus/Alertmanager not installed: run scripts/setup.sh)"]
        lines += ["", "CronJobs: batch/healthy-report, batch/failing-backup (fails),",
                  "          batch/overrunning-etl (Forbid, overruns: skipped slots),",
                  "          ops/flaky-controller (controller outage: missed slots),",
                  "          ops/replaced-sync (Replace: runs deleted)", ""]
        print("\n".join(lines), flush=True)
        try:
            while True:
                group.check_alive()
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nstopping", flush=True)
        finally:
            sim.stop()
            server.stop()


if __name__ == "__main__":
    main()
