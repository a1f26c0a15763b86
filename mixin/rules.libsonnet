// Recording rules for per-CronJob SLOs, cheap enough for 10k CronJobs (docs/alerts.md, "SLO
// recording rules", has the arithmetic):
// 1. every sloRecordInterval: the increase over sloShortWindow of ended runs, succeeded runs,
//    slots due and slots started on time, one series each per CronJob;
// 2. every sloLongRecordInterval: the hourly average of each (12 samples read per series);
// 3. every sloLongRecordInterval: 1d / 7d / 30d ratios from the hourly averages (at most 720
//    samples read per series for 30 days, instead of 8640 five-minute or 43200 raw samples).
// Ratios of averages equal ratios of sums over the same samples, so tiers 2 and 3 need no
// exact tiling of windows. Every tier takes `max without (replicaLabels)`: two identical
// batchwatch replicas are not counted twice.
local u = import 'lib/util.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local s(extra='') = u.sel(c, extra),
    local w = c.sloShortWindow,
    local inc(metric, extra='', without=[]) =
      local body = u.bornIncrease('%s{%s}' % [metric, s(extra)], w);
      u.dedup(c, if without == [] then body else 'sum without (%s) (%s)' % [std.join(', ', without), body]),
    local short(name) = 'batchwatch:cronjob_%s:increase%s' % [name, w],
    local hourly(name) = 'batchwatch:cronjob_%s:increase%s_avg1h' % [name, w],
    // a + b where either may be absent (same label sets).
    local plus(a, b) = '(%(a)s + %(b)s) or %(a)s or %(b)s' % { a: a, b: b },
    local series = ['runs_ended', 'runs_succeeded', 'slots_due', 'slots_on_time'],
    local ratio(num, den, window) =
      'avg_over_time(%s[%s]) / (avg_over_time(%s[%s]) > 0)' % [hourly(num), window, hourly(den), window],

    groups+: [
      {
        name: 'batchwatch-slo-increases',
        interval: c.sloRecordInterval,
        rules: [
          {
            record: short('runs_ended'),
            expr: inc('batchwatch_cronjob_runs_total', without=['trigger', 'result', 'reason']),
          },
          {
            // A CronJob without any success still gets a series (0): a ratio must not vanish
            // exactly when every run failed.
            record: short('runs_succeeded'),
            expr: '%s\nor %s * 0' % [inc('batchwatch_cronjob_runs_total', 'result="succeeded"', ['trigger', 'result', 'reason']), short('runs_ended')],
          },
          {
            record: short('slots_missed'),
            expr: plus(
              inc('batchwatch_cronjob_missed_schedules_total', without=['reason']),
              inc('batchwatch_cronjob_forbid_skipped_total')
            ),
          },
          {
            // Slots due = slots that ran (a Job appeared: start delay observed) + missed +
            // Forbid-skipped; suspended slots count nowhere (docs/alerts.md).
            record: short('slots_due'),
            expr: plus(inc('batchwatch_cronjob_start_delay_seconds_count'), short('slots_missed')),
          },
          {
            record: short('slots_on_time'),
            expr: '%s\nor %s * 0' % [
              inc('batchwatch_cronjob_start_delay_seconds_bucket', 'le="%s"' % c.sloStartDelayBudget, ['le']),
              short('slots_due'),
            ],
          },
        ],
      },
      {
        name: 'batchwatch-slo-hourly',
        interval: c.sloLongRecordInterval,
        rules: [
          { record: hourly(n), expr: 'avg_over_time(%s[1h])' % short(n) }
          for n in series
        ],
      },
      {
        name: 'batchwatch-slo-ratios',
        interval: c.sloLongRecordInterval,
        rules: [
          { record: 'batchwatch:cronjob_success_ratio:%s' % window, expr: ratio('runs_succeeded', 'runs_ended', window) }
          for window in c.sloWindows
        ] + [
          { record: 'batchwatch:cronjob_on_time_ratio:%s' % window, expr: ratio('slots_on_time', 'slots_due', window) }
          for window in c.sloWindows
        ],
      },
    ] + (
      if c.sloCronJobs == [] then [] else [{
        name: 'batchwatch-slo-targets',
        rules: [
          {
            record: 'batchwatch:cronjob_slo_success_target',
            expr: std.toString(t.target),
            labels: { namespace: t.namespace, cronjob: t.cronjob } + (
              if c.showMultiCluster then { [c.clusterLabel]: t[c.clusterLabel] } else {}
            ),
          }
          for t in c.sloCronJobs
        ],
      }]
    ),
  },
}
