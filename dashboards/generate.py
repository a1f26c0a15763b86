#!/usr/bin/env python3
"""Writes the batchwatch Grafana dashboards (JSON model, schemaVersion 39) into dashboards/.

The JSON files are committed; this script is their source. Edit here, run
`python3 dashboards/generate.py`, commit both. `--check` fails when the files are out of date
(tests/alerts runs it). Python 3 standard library only.

- batchwatch-fleet.json: every CronJob at once (uid batchwatch-fleet).
- batchwatch-cronjob.json: one CronJob (uid batchwatch-cronjob).

Panels whose query is legitimately empty in a healthy cluster (no failing CronJob, no active
run) set fieldConfig.defaults.noValue; tests/alerts/check_dashboards.py reports them as
may_be_empty.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39


class Layout:
    """Places panels left to right on Grafana's 24-column grid and hands out unique ids."""

    def __init__(self):
        self.x = 0
        self.y = 0
        self.row_height = 0
        self.next_id = 1
        self.panels = []

    def add(self, panel, w, h):
        if self.x + w > 24:
            self.newline()
        panel["id"] = self.next_id
        self.next_id += 1
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_height = max(self.row_height, h)
        self.panels.append(panel)

    def newline(self):
        if self.x:
            self.y += self.row_height
        self.x = 0
        self.row_height = 0

    def row(self, title):
        self.newline()
        self.add({"type": "row", "title": title, "collapsed": False, "panels": []}, 24, 1)
        self.newline()


def target(expr, legend="", ref="A", instant=False, table=False, heatmap=False):
    t = {
        "datasource": DATASOURCE,
        "refId": ref,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        "editorMode": "code",
    }
    if table:
        t["format"] = "table"
    elif heatmap:
        t["format"] = "heatmap"
    return t


def targets(*specs):
    """specs: (expr, legend) tuples, refIds A, B, C..."""
    return [target(expr, legend, ref=chr(ord("A") + i)) for i, (expr, legend) in enumerate(specs)]


def panel(kind, title, description, unit, tgts, no_value=None, options=None, custom=None,
          thresholds=None, overrides=None, transformations=None):
    defaults = {"unit": unit, "color": {"mode": "palette-classic"}}
    if kind in ("stat", "table"):
        defaults["color"] = {"mode": "thresholds"}
    defaults["thresholds"] = {
        "mode": "absolute",
        "steps": thresholds or [{"color": "green", "value": None}],
    }
    if no_value is not None:
        defaults["noValue"] = no_value
    if custom:
        defaults["custom"] = custom
    p = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": tgts,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options or {},
    }
    if transformations:
        p["transformations"] = transformations
    return p


def stat(title, description, unit, expr, no_value=None, thresholds=None, decimals=None):
    p = panel("stat", title, description, unit, [target(expr, instant=True)], no_value=no_value,
              thresholds=thresholds,
              options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                       "colorMode": "value", "graphMode": "none", "textMode": "auto",
                       "justifyMode": "auto", "orientation": "auto"})
    if decimals is not None:
        p["fieldConfig"]["defaults"]["decimals"] = decimals
    return p


def timeseries(title, description, unit, tgts, no_value=None, bars=False, stack=False):
    custom = {"drawStyle": "bars" if bars else "line", "lineWidth": 1,
              "fillOpacity": 80 if bars else 10, "showPoints": "never", "spanNulls": False,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    return panel("timeseries", title, description, unit, tgts, no_value=no_value, custom=custom,
                 options={"legend": {"displayMode": "table", "placement": "right",
                                     "calcs": ["lastNotNull", "max"], "showLegend": True},
                          "tooltip": {"mode": "multi", "sort": "desc"}})


def table(title, description, unit, tgts, no_value, overrides, rename, exclude):
    for t in tgts:
        t.update({"format": "table", "instant": True, "range": False})
    transformations = [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {name: True for name in exclude},
                                       "renameByName": rename, "indexByName": {}}},
    ]
    return panel("table", title, description, unit, tgts, no_value=no_value,
                 overrides=overrides, transformations=transformations,
                 options={"showHeader": True, "cellHeight": "sm",
                          "footer": {"show": False, "reducer": ["sum"], "fields": ""}})


def unit_override(column, unit):
    return {"matcher": {"id": "byName", "options": column},
            "properties": [{"id": "unit", "value": unit}]}


def datasource_variable():
    return {"name": "datasource", "label": "Data source", "type": "datasource",
            "query": "prometheus", "current": {}, "hide": 0, "refresh": 1, "regex": "",
            "options": [], "includeAll": False, "multi": False}


def query_variable(name, label, query, multi):
    v = {"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
         "definition": query,
         "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "refresh": 2, "regex": "", "sort": 1, "hide": 0, "current": {}, "options": [],
         "includeAll": multi, "multi": multi}
    if multi:
        v["allValue"] = ".*"
    return v


def custom_variable(name, label, values, default):
    return {"name": name, "label": label, "type": "custom", "query": ",".join(values),
            "current": {"selected": True, "text": default, "value": default},
            "options": [{"selected": v == default, "text": v, "value": v} for v in values],
            "hide": 0, "includeAll": False, "multi": False}


def dashboard(uid, title, description, variables, layout, links):
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["batchwatch", "kubernetes", "cronjob"],
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "timezone": "browser",
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "id": None,
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": links,
        "templating": {"list": variables},
        "panels": layout.panels,
    }


RED_FROM_1 = [{"color": "green", "value": None}, {"color": "red", "value": 1}]


def fleet():
    ns = 'namespace=~"$namespace"'
    failing = (f"batchwatch_cronjob_last_failure_time_seconds{{{ns}}}"
               f" > (batchwatch_cronjob_last_success_time_seconds{{{ns}}}"
               f" or batchwatch_cronjob_last_failure_time_seconds{{{ns}}} * 0)")
    drill = "/d/batchwatch-cronjob/batchwatch-cronjob?var-namespace=${__data.fields.namespace}" \
            "&var-cronjob=${__data.fields.cronjob}&${datasource:queryparam}"
    L = Layout()
    L.row("Overview")
    L.add(stat("CronJobs", "CronJobs batchwatch watches.", "short",
               f"count(batchwatch_cronjob_info{{{ns}}}) or vector(0)"), 3, 4)
    L.add(stat("Failing CronJobs", "CronJobs whose newest finished run failed.", "short",
               f"count({failing}) or vector(0)", thresholds=RED_FROM_1), 3, 4)
    L.add(stat("Schedule errors", "CronJobs that cannot run: unparseable schedule, never fires "
               "or unknown time zone.", "short",
               f"count(batchwatch_cronjob_schedule_error{{{ns}}} == 1) or vector(0)",
               thresholds=RED_FROM_1), 3, 4)
    L.add(stat("Suspended", "CronJobs with spec.suspend.", "short",
               f"sum(batchwatch_cronjob_suspended{{{ns}}}) or vector(0)"), 3, 4)
    L.add(stat("Active runs", "Runs of CronJobs not finished now.", "short",
               f"sum(batchwatch_cronjob_active_jobs{{{ns}}}) or vector(0)"), 3, 4)
    L.add(stat("Success ratio", "Succeeded / (succeeded + failed) runs in the selected time "
               "range.", "percentunit",
               f'sum(increase(batchwatch_cronjob_runs_total{{{ns},result="succeeded"}}[$__range]))'
               f' / sum(increase(batchwatch_cronjob_runs_total{{{ns},result=~"succeeded|failed"}}'
               f"[$__range]))", no_value="no runs",
               thresholds=[{"color": "red", "value": None}, {"color": "orange", "value": 0.9},
                           {"color": "green", "value": 0.99}]), 3, 4)
    L.add(stat("Missed slots", "Scheduled runs that never happened (not Forbid) in the selected "
               "time range.", "short",
               f"round(sum(increase(batchwatch_cronjob_missed_schedules_total{{{ns}}}[$__range])))"
               " or vector(0)", thresholds=RED_FROM_1), 3, 4)
    L.add(stat("Forbid-skipped slots", "Scheduled runs skipped behind an overrunning run "
               "(concurrencyPolicy Forbid) in the selected time range.", "short",
               f"round(sum(increase(batchwatch_cronjob_forbid_skipped_total{{{ns}}}[$__range])))"
               " or vector(0)", thresholds=[{"color": "green", "value": None},
                                           {"color": "orange", "value": 1}]), 3, 4)

    L.row("Runs")
    L.add(timeseries("Runs finished by result", "CronJob runs ending per minute, by result.",
                     "opm",
                     targets((f"sum by (result) (rate(batchwatch_cronjob_runs_total{{{ns}}}"
                              "[$__rate_interval])) * 60", "{{result}}")), stack=True), 12, 8)
    L.add(timeseries("Failed runs by CronJob", "Failed runs per minute, by CronJob.", "opm",
                     targets((f'sum by (namespace, cronjob) (rate(batchwatch_cronjob_runs_total'
                              f'{{{ns},result="failed"}}[$__rate_interval])) * 60 > 0',
                              "{{namespace}}/{{cronjob}}")),
                     no_value="No failed runs"), 12, 8)
    L.add(table("Failing CronJobs",
                "CronJobs whose newest finished run failed (click a name for its dashboard).",
                "short",
                [target(f"batchwatch_cronjob_consecutive_failures{{{ns}}} and ({failing})",
                        ref="A"),
                 target(f"time() - ({failing})", ref="B")],
                no_value="No failing CronJobs",
                overrides=[unit_override("Failing since", "s"),
                           {"matcher": {"id": "byName", "options": "cronjob"},
                            "properties": [{"id": "links", "value": [
                                {"title": "CronJob dashboard", "url": drill}]}]}],
                rename={"Value #A": "Consecutive failures", "Value #B": "Failing since"},
                exclude=["Time", "job", "instance", "__name__"]), 24, 8)

    L.row("Slots")
    L.add(timeseries("Missed slots", "Slots that will never run, by CronJob and reason "
                     "(deadline_exceeded or superseded).", "short",
                     targets((f"sum by (namespace, cronjob, reason) (increase("
                              f"batchwatch_cronjob_missed_schedules_total{{{ns}}}"
                              "[$__rate_interval])) > 0", "{{namespace}}/{{cronjob}} {{reason}}")),
                     no_value="No missed slots", bars=True), 8, 8)
    L.add(timeseries("Forbid-skipped slots", "Slots skipped because concurrencyPolicy Forbid "
                     "held them behind an active run, by CronJob.", "short",
                     targets((f"sum by (namespace, cronjob) (increase("
                              f"batchwatch_cronjob_forbid_skipped_total{{{ns}}}"
                              "[$__rate_interval])) > 0", "{{namespace}}/{{cronjob}}")),
                     no_value="No skipped slots", bars=True), 8, 8)
    L.add(timeseries("Schedule lag (top 10)", "How long the most recent due slot has waited "
                     "for its Job; 0 when nothing is overdue.", "s",
                     targets((f"topk(10, max by (namespace, cronjob) ("
                              f"batchwatch_cronjob_schedule_lag_seconds{{{ns}}}))",
                              "{{namespace}}/{{cronjob}}"))), 8, 8)

    L.row("Durations")
    L.add(panel("heatmap", "Run duration distribution", "Finished runs of all selected CronJobs "
                "by duration bucket.", "s",
                [target(f"sum by (le) (increase(batchwatch_cronjob_run_duration_seconds_bucket"
                        f"{{{ns}}}[$__rate_interval]))", legend="{{le}}", heatmap=True)],
                options={"calculate": False, "yAxis": {"unit": "s", "axisPlacement": "left"},
                         "cellValues": {"unit": "short"},
                         "color": {"mode": "scheme", "scheme": "Oranges", "fill": "dark",
                                   "scale": "exponential", "exponent": 0.5, "steps": 64},
                         "rowsFrame": {"layout": "auto"}, "filterValues": {"le": 1e-09},
                         "tooltip": {"show": True, "yHistogram": False},
                         "legend": {"show": True}}), 12, 8)
    L.add(timeseries("Run duration p50 / p95", "Duration quantiles of finished runs.", "s",
                     targets((f"histogram_quantile(0.5, sum by (le) (rate("
                              f"batchwatch_cronjob_run_duration_seconds_bucket{{{ns}}}"
                              "[$__rate_interval])))", "p50"),
                             (f"histogram_quantile(0.95, sum by (le) (rate("
                              f"batchwatch_cronjob_run_duration_seconds_bucket{{{ns}}}"
                              "[$__rate_interval])))", "p95"))), 6, 8)
    L.add(timeseries("Start delay p50 / p95", "Job creation time minus its slot: how late the "
                     "controller starts scheduled runs.", "s",
                     targets((f"histogram_quantile(0.5, sum by (le) (rate("
                              f"batchwatch_cronjob_start_delay_seconds_bucket{{{ns}}}"
                              "[$__rate_interval])))", "p50"),
                             (f"histogram_quantile(0.95, sum by (le) (rate("
                              f"batchwatch_cronjob_start_delay_seconds_bucket{{{ns}}}"
                              "[$__rate_interval])))", "p95"))), 6, 8)

    L.row("Standalone Jobs")
    L.add(timeseries("Standalone Job runs by group and result", "Runs of Jobs not owned by a "
                     "CronJob, per minute.", "opm",
                     targets((f"sum by (namespace, job_group, result) (rate("
                              f"batchwatch_job_runs_total{{{ns}}}[$__rate_interval])) * 60",
                              "{{namespace}}/{{job_group}} {{result}}")),
                     no_value="No standalone Job runs"), 24, 8)

    L.row("batchwatch")
    L.add(stat("Exporter up", "Scrape health of batchwatch (scrape job batchwatch).", "short",
               'min(up{job="batchwatch"})',
               thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}]),
          4, 6)
    L.add(timeseries("Time since last watch event", "Per resource; the API server sends at "
                     "least a bookmark every watch timeout.", "s",
                     targets(("time() - batchwatch_last_event_timestamp_seconds",
                              "{{instance}} {{resource}}"))), 10, 6)
    L.add(timeseries("API requests by code", "Kubernetes API requests of batchwatch.", "reqps",
                     targets(("sum by (resource, verb, code) (rate(batchwatch_api_requests_total"
                              "[$__rate_interval]))", "{{resource}} {{verb}} {{code}}"))), 10, 6)

    variables = [datasource_variable(),
                 query_variable("namespace", "Namespace",
                                "label_values(batchwatch_cronjob_info, namespace)", multi=True)]
    links = [{"title": "CronJob", "type": "dashboards", "tags": ["batchwatch"],
              "asDropdown": True, "includeVars": False, "keepTime": True, "icon": "external link",
              "targetBlank": False, "tooltip": "", "url": ""}]
    return dashboard("batchwatch-fleet", "batchwatch / CronJob fleet",
                     "Success and failure rates, failing CronJobs, missed and skipped slots, "
                     "schedule lag and durations across all CronJobs.", variables, L, links)


def cronjob():
    s = 'namespace="$namespace", cronjob="$cronjob"'
    L = Layout()
    L.row("Now")
    L.add(stat("Last success", "Time since the end of the last successful run.", "s",
               f"time() - max(batchwatch_cronjob_last_success_time_seconds{{{s}}})",
               no_value="never"), 4, 4)
    L.add(stat("Next run in", "Time to the next slot (absent when suspended or the schedule is "
               "invalid).", "s",
               f"max(batchwatch_cronjob_next_schedule_time_seconds{{{s}}}) - time()",
               no_value="none"), 4, 4)
    L.add(stat("Schedule interval", "Gap between the next two slots.", "s",
               f"max(batchwatch_cronjob_schedule_interval_seconds{{{s}}})", no_value="none"),
          4, 4)
    L.add(stat("Active runs", "Runs not finished now.", "short",
               f"max(batchwatch_cronjob_active_jobs{{{s}}})"), 4, 4)
    L.add(stat("Consecutive failures", "Failed runs since the last successful one.", "short",
               f"max(batchwatch_cronjob_consecutive_failures{{{s}}})", thresholds=RED_FROM_1),
          4, 4)
    L.add(stat("Schedule lag", "How long the most recent due slot has waited for its Job.", "s",
               f"max(batchwatch_cronjob_schedule_lag_seconds{{{s}}})",
               thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 60},
                           {"color": "red", "value": 300}]), 4, 4)
    L.add(table("Definition", "Schedule, time zone it is evaluated in, concurrency policy and "
                "suspension.", "short",
                [target(f"max by (namespace, cronjob, schedule, timezone, concurrency_policy) "
                        f"(batchwatch_cronjob_info{{{s}}})", ref="A"),
                 target(f"max by (namespace, cronjob) (batchwatch_cronjob_suspended{{{s}}})",
                        ref="B")],
                no_value=None, overrides=[],
                rename={"Value #B": "suspended", "concurrency_policy": "concurrency policy"},
                exclude=["Time", "Value #A"]), 12, 5)
    L.add(table("Active runs", "Jobs of this CronJob that are running now.", "s",
                [target(f"time() - batchwatch_job_start_time_seconds{{{s}}}", ref="A"),
                 target(f"batchwatch_job_active_pods{{{s}}}", ref="B"),
                 target(f"batchwatch_job_failed_pods{{{s}}}", ref="C"),
                 target(f"batchwatch_job_deadline_seconds{{{s}}}", ref="D")],
                no_value="No active run",
                overrides=[unit_override("active pods", "short"),
                           unit_override("failed pods", "short")],
                rename={"Value #A": "running for", "Value #B": "active pods",
                        "Value #C": "failed pods", "Value #D": "activeDeadlineSeconds",
                        "job_name": "job"},
                exclude=["Time", "job", "instance", "namespace", "cronjob", "__name__"]), 12, 5)

    L.row("History")
    L.add(timeseries("Run outcomes", "Runs that ended, by result and reason.", "short",
                     targets((f"sum by (result, reason) (increase(batchwatch_cronjob_runs_total"
                              f"{{{s}}}[$__rate_interval])) > 0", "{{result}} {{reason}}")),
                     no_value="No runs ended", bars=True, stack=True), 12, 8)
    L.add(timeseries("Run duration p50 / p95 against the schedule interval",
                     "Quantiles of finished runs over the sliding $window; runs above the "
                     "interval overlap, are skipped (Forbid) or replaced.", "s",
                     targets((f"histogram_quantile(0.5, sum by (le) (rate("
                              f"batchwatch_cronjob_run_duration_seconds_bucket{{{s}}}[$window])))",
                              "p50"),
                             (f"histogram_quantile(0.95, sum by (le) (rate("
                              f"batchwatch_cronjob_run_duration_seconds_bucket{{{s}}}[$window])))",
                              "p95"),
                             (f"max(batchwatch_cronjob_schedule_interval_seconds{{{s}}})",
                              "schedule interval"))), 12, 8)
    L.add(timeseries("Missed, skipped and replaced slots", "Slots that never ran, by cause.",
                     "short",
                     targets((f"sum by (reason) (increase("
                              f"batchwatch_cronjob_missed_schedules_total{{{s}}}"
                              "[$__rate_interval])) > 0", "missed ({{reason}})"),
                             (f"sum(increase(batchwatch_cronjob_forbid_skipped_total{{{s}}}"
                              "[$__rate_interval])) > 0", "forbid-skipped"),
                             (f"sum(increase(batchwatch_cronjob_replaced_total{{{s}}}"
                              "[$__rate_interval])) > 0", "replaced")),
                     no_value="None", bars=True, stack=True), 8, 8)
    L.add(timeseries("Start delay p50 / p95", "Job creation time minus its slot, over the "
                     "sliding $window.", "s",
                     targets((f"histogram_quantile(0.5, sum by (le) (rate("
                              f"batchwatch_cronjob_start_delay_seconds_bucket{{{s}}}[$window])))",
                              "p50"),
                             (f"histogram_quantile(0.95, sum by (le) (rate("
                              f"batchwatch_cronjob_start_delay_seconds_bucket{{{s}}}[$window])))",
                              "p95"))), 8, 8)
    L.add(timeseries("Last success age and schedule lag", "Both grow while runs fail or do not "
                     "start.", "s",
                     targets((f"time() - max(batchwatch_cronjob_last_success_time_seconds{{{s}}})",
                              "since last success"),
                             (f"max(batchwatch_cronjob_schedule_lag_seconds{{{s}}})",
                              "schedule lag")),
                     no_value="never succeeded"), 8, 8)

    variables = [
        datasource_variable(),
        query_variable("namespace", "Namespace",
                       "label_values(batchwatch_cronjob_info, namespace)", multi=False),
        query_variable("cronjob", "CronJob",
                       'label_values(batchwatch_cronjob_info{namespace="$namespace"}, cronjob)',
                       multi=False),
        custom_variable("window", "Quantile window", ["1h", "6h", "1d", "7d"], "1d"),
    ]
    links = [{"title": "Fleet", "type": "link", "url": "/d/batchwatch-fleet/batchwatch-fleet",
              "icon": "dashboard", "includeVars": False, "keepTime": True, "asDropdown": False,
              "targetBlank": False, "tags": [], "tooltip": "All CronJobs"}]
    return dashboard("batchwatch-cronjob", "batchwatch / CronJob",
                     "One CronJob: state now, run outcomes, durations against the schedule "
                     "interval, missed and skipped slots.", variables, L, links)


DASHBOARDS = {"batchwatch-fleet.json": fleet, "batchwatch-cronjob.json": cronjob}


def render(build):
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if the committed JSON differs from what this script makes")
    parser.add_argument("--out-dir", default=HERE)
    args = parser.parse_args(argv)
    stale = []
    for name, build in DASHBOARDS.items():
        path = os.path.join(args.out_dir, name)
        text = render(build)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() == text:
                        continue
            except OSError:
                pass
            stale.append(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if stale:
        print("dashboards out of date (run python3 dashboards/generate.py): " + ", ".join(stale),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
