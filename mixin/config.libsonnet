// Everything a user may want to change without editing the rules or dashboards. Override it
// the monitoring-mixin way:
//   (import 'batchwatch-mixin/mixin.libsonnet') + { _config+:: { showMultiCluster: true } }
{
  _config+:: {
    // Label matchers that select batchwatch's own series (the scrape job). BatchwatchDown
    // alerts on `up{<this>}`, every other rule and panel adds it to each selector.
    batchwatchSelector: 'job="batchwatch"',

    // Multi-cluster: with showMultiCluster every aggregation and join keeps clusterLabel,
    // alert summaries name the cluster and the dashboards get a cluster variable. The label
    // itself comes from the Prometheus that scrapes batchwatch (external_labels, or a target
    // label), not from batchwatch.
    clusterLabel: 'cluster',
    showMultiCluster: false,

    // Labels that differ between identical batchwatch replicas (HA): recording rules and
    // dashboards take `max without (...)` over them so two replicas are not counted twice.
    replicaLabels: ['instance', 'pod'],

    // runbook_url of each alert: %s is the lower-case alert name, the anchor of its heading in
    // docs/runbooks.md. The default is the path of that file in this repository; point it at
    // wherever you publish the docs, e.g.
    //   'https://git.example.com/platform/batchwatch/-/blob/main/docs/runbooks.md#%s'.
    runbookURLPattern: 'docs/runbooks.md#%s',

    // Alert thresholds.
    consecutiveFailuresThreshold: 3,
    noRecentSuccessIntervals: 3,
    // NeverSucceeded: unsuccessful outcomes (failed or deleted runs, missed or Forbid-skipped
    // slots) counted with no success ever seen.
    neverSucceededOutcomes: 3,
    scheduleLagThresholdSeconds: 300,
    watchStaleThresholdSeconds: 900,
    kubeApiErrorRatio: 0.5,
    kubeApiErrorWindow: '10m',
    // Counter alerts (missed, Forbid-skipped, replaced, failing job groups) look back this far.
    eventWindow: '1h',
    // RunLongerThanInterval: mean duration of the runs that finished in this window.
    runDurationWindow: '1h',
    suspendedLongWindow: '1d',
    // Why runs fail and do not start (the Pods and Events watches). OOMKilled and the FailedCreate
    // alerts look back eventWindow; how long pods must wait before BatchwatchJobPodsWaiting
    // fires is its `for` below (15 minutes).
    // State file (--state-file): last successful save older than this fires the alert.
    stateSaveMaxAgeSeconds: 600,
    stateSaveErrorWindow: '15m',

    // `for` of every alert ('0s' for none).
    alertFor: {
      BatchwatchCronJobLastRunFailed: '1m',
      BatchwatchCronJobConsecutiveFailures: '1m',
      BatchwatchCronJobNoRecentSuccess: '15m',
      BatchwatchCronJobNeverSucceeded: '1m',
      BatchwatchCronJobMissedSchedules: '0s',
      BatchwatchCronJobForbidSkipped: '0s',
      BatchwatchCronJobRunsReplaced: '0s',
      BatchwatchCronJobScheduleLag: '1m',
      BatchwatchCronJobScheduleError: '5m',
      BatchwatchCronJobRunLongerThanInterval: '5m',
      BatchwatchCronJobSuspendedLong: '0s',
      BatchwatchCronJobErrorBudgetBurn: '2m',
      BatchwatchCronJobOOMKilled: '1m',
      BatchwatchCronJobCreateFailures: '0s',
      BatchwatchJobPastActiveDeadline: '5m',
      BatchwatchJobGroupFailing: '0s',
      BatchwatchJobPodsWaiting: '15m',
      BatchwatchJobGroupCreateFailures: '0s',
      BatchwatchDown: '5m',
      BatchwatchNotSynced: '10m',
      BatchwatchWatchStale: '5m',
      BatchwatchKubeApiErrors: '15m',
      BatchwatchStateNotSaved: '5m',
    },

    // SLO recording rules. The short-window increases are recorded every sloRecordInterval,
    // hourly averages of them every sloLongRecordInterval, and the 1d / 7d / 30d ratios from
    // the hourly averages (docs/alerts.md explains the cost).
    sloShortWindow: '5m',
    sloRecordInterval: '5m',
    sloLongRecordInterval: '1h',
    sloWindows: ['1d', '7d', '30d'],
    // On time: the Job of a slot was created at most this many seconds after the slot. Must be
    // an upper bound (le) of batchwatch_cronjob_start_delay_seconds: 0.5 1 2 5 10 30 60 120
    // 300 600 1800 3600.
    sloStartDelayBudget: '60',

    // Opt-in SLOs: a success target per CronJob. Each entry becomes a recording rule
    // batchwatch:cronjob_slo_success_target{namespace, cronjob} = target, which enables
    // BatchwatchCronJobErrorBudgetBurn for that CronJob. With showMultiCluster, give the
    // cluster too. The same series may be recorded by your own rules instead.
    //   sloCronJobs: [{ namespace: 'batch', cronjob: 'nightly-backup', target: 0.99 }],
    sloCronJobs: [],
    // Multi-window burn-rate alerts on the error ratio (1 - success ratio), SRE workbook style.
    sloBurnRateWindows: [
      { severity: 'critical', long: '1h', short: '5m', factor: 14.4 },
      { severity: 'warning', long: '6h', short: '30m', factor: 6 },
    ],

    // Extra metadata labels of the PrometheusRule, e.g. { release: 'kube-prometheus-stack' }
    // for a Prometheus resource whose ruleSelector wants it.
    prometheusRuleLabels: {},

    // Dashboards.
    dashboardTimezone: 'browser',
    dashboardRefresh: '1m',
    dashboardTags: ['batchwatch', 'kubernetes', 'cronjob'],
  },
}
