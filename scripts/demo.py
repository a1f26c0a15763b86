#!/usr/bin/env python3
"""The batchwatch demo: a simulated cluster (sim/simulator.py), batchwatch against it, and
Debian's Prometheus (scraping every second, with the shipped alert rules, their `for:` shortened
so that alerts fire within the first minutes) and Alertmanager. Everything binds 127.0.0.1.
Prints the URLs to open, the alerts to expect and when, and where the logs are (kept after
exit). Ctrl-C stops everything it started."""
import argparse
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sim"))
from fake_apiserver import FakeCluster, serve  # noqa: E402
from simulator import DEMO_PROBLEMS, Simulator, expected_alerts, job_groups, scenario  # noqa: E402
import stack  # noqa: E402

RULE_FOR_SECONDS = 10  # every rule's `for:` in the demo (shipped: 1m to 15m)


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="scripts/run.sh", description=__doc__.split("\n\n")[0],
        epilog="Any other --flag is passed to batchwatch (see `scripts/run.sh --apiserver x "
               "--help`). To watch a real cluster instead, pass a connection flag: "
               "scripts/run.sh --kubeconfig ~/.kube/config (or --apiserver URL, or --in-cluster).")
    ap.add_argument("--batchwatch", default=os.path.join(ROOT, "build-run/exporter/app/batchwatch"),
                    help="the batchwatch binary (default: build-run/, built by scripts/run.sh)")
    ap.add_argument("--port", type=int, default=9981,
                    help="batchwatch's port on 127.0.0.1 (default 9981; 0 picks a free one)")
    ap.add_argument("--prometheus-port", type=int, default=0,
                    help="Prometheus's port (default: a free one)")
    ap.add_argument("--alertmanager-port", type=int, default=0,
                    help="Alertmanager's port (default: a free one)")
    ap.add_argument("--log-dir", help="where the logs go (default: a new /tmp/batchwatch-demo-*)")
    ap.add_argument("--no-prometheus", action="store_true",
                    help="only the simulated cluster and batchwatch")
    return ap.parse_known_args(argv)


def port_is_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def demo_rules(path, out):
    """The shipped rules with every `for:` set to RULE_FOR_SECONDS."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"(?m)^( +for:) .*$", r"\1 %ds" % RULE_FOR_SECONDS, text)
    with open(out, "w") as f:
        f.write(text)
    return out


def first_answering(base, paths):
    """The first of `paths` under `base` that answers 200 (Debian's Prometheus 2.42 serves the
    classic UI under /classic/, newer ones the new UI at the root)."""
    for p in paths:
        try:
            if stack.http_json_ok(base + p):
                return base + p
        except OSError:
            continue
    return base + paths[-1]


def main(argv=None):
    args, extra = parse_args(sys.argv[1:] if argv is None else argv)
    wanted = [("batchwatch", "--port", args.port)]
    if not args.no_prometheus:
        wanted += [("Prometheus", "--prometheus-port", args.prometheus_port),
                   ("Alertmanager", "--alertmanager-port", args.alertmanager_port)]
    for what, flag, port in wanted:
        if port and not port_is_free(port):
            print("scripts/run.sh: port %d on 127.0.0.1 (for %s) is taken by another program; "
                  "pick another with %s N (0 picks a free one)" % (port, what, flag),
                  file=sys.stderr)
            return 2
    log_dir = args.log_dir or tempfile.mkdtemp(prefix="batchwatch-demo-")
    os.makedirs(log_dir, exist_ok=True)

    cluster = FakeCluster()
    server = serve(cluster, 0)
    cronjobs = scenario("demo")
    sim = Simulator(cluster, cronjobs, job_groups=job_groups("demo"))
    started = time.time()
    sim.start()
    shipped_rules = os.path.join(ROOT, "alerts", "batchwatch.rules.yml")
    have_prometheus = (not args.no_prometheus and shutil.which("prometheus") and
                       shutil.which("prometheus-alertmanager") and os.path.exists(shipped_rules))
    # Ctrl-C and SIGTERM both end the demo through the `finally` below, even when started from a
    # shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    group = stack.ProcessGroup(workdir=log_dir, keep=True)
    try:
        group.start("batchwatch", [args.batchwatch, "--apiserver", server.url,
                                   "--listen-address", "127.0.0.1:%d" % args.port] + extra)

        def listening():
            group.check_alive()
            m = re.search(r"msg=listening .*port=(\d+)", group.log("batchwatch"))
            return m and int(m.group(1))

        bw = "http://127.0.0.1:%d" % stack.wait_until(listening, 30, what="batchwatch to listen")
        stack.wait_until(lambda: stack.http_json_ok(bw + "/healthz"), 30, what="batchwatch")
        lines = ["", "batchwatch demo is running (Ctrl-C stops everything):",
                 "  simulated cluster (fake API server): %s" % server.url,
                 "  batchwatch landing page:            %s/" % bw,
                 "  batchwatch metrics:                 %s/metrics" % bw,
                 "  batchwatch readiness:               %s/readyz" % bw]
        if have_prometheus:
            rules = demo_rules(shipped_rules, os.path.join(log_dir, "rules.yml"))
            am = stack.start_alertmanager(group, args.alertmanager_port)
            prom = stack.start_prometheus(group, bw, [rules], am, port=args.prometheus_port)
            alerts_page = first_answering(prom, ["/classic/alerts", "/alerts"])
            lines += ["  Prometheus alerts page:             %s" % alerts_page,
                      "  Prometheus graph:                   %s" % alerts_page.replace(
                          "/alerts", "/graph"),
                      "  Alertmanager's alerts (JSON API):   %s/api/v2/alerts" % am,
                      "    Debian's Alertmanager has no web UI; on the command line:",
                      "    amtool --alertmanager.url=%s alert query" % am]
        else:
            lines += ["  (Prometheus/Alertmanager not installed or --no-prometheus: no alerts; "
                      "run scripts/setup.sh)"]
        lines += ["", "Demo CronJobs with a problem:"]
        for ns, name, problem, _ in DEMO_PROBLEMS:
            lines.append("  %s/%s: %s" % (ns, name, problem))
        if have_prometheus:
            expected = expected_alerts(cronjobs)
            # onset + `for:` + a few scrape/evaluation seconds + Alertmanager's 1 s group_wait.
            eta = {a: onset + RULE_FOR_SECONDS + 5 for a, _, _, onset in expected}
            latest = max(eta.values()) if eta else 0
            lines += ["", "Within about %d s these alerts fire (rules as shipped, `for:` "
                      "shortened to %d s):" % (latest, RULE_FOR_SECONDS)]
            for alert, ns, name, _ in sorted(expected, key=lambda e: eta[e[0]]):
                lines.append("  after ~%3d s  %s  %s/%s" % (eta[alert], alert, ns, name))
            gaps = ["%s/%s" % (ns, name) for ns, name, _, alerts in DEMO_PROBLEMS if not alerts]
            if gaps:
                lines.append("  (no shipped rule alerts on %s yet)" % ", ".join(gaps))
        lines += ["", "Logs (kept after exit): %s" % log_dir,
                  "  batchwatch: %s" % os.path.join(log_dir, "batchwatch.log"),
                  "kubectl works against the simulated cluster: "
                  "kubectl --server %s get cronjobs -A" % server.url, ""]
        print("\n".join(lines), flush=True)
        while True:
            group.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping; logs are in %s" % log_dir, flush=True)
    except (RuntimeError, TimeoutError) as e:
        print("scripts/run.sh: %s\nlogs are in %s" % (e, log_dir), file=sys.stderr)
        return 1
    finally:
        group.stop()
        sim.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
