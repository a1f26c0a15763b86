// Alerting rules. Conventions (tests/alerts/check_rules.py checks them):
// - every alert has a severity (critical, warning, info), a summary and a description naming
//   the namespace and CronJob (or job group), with showMultiCluster also the cluster, and a
//   runbook_url built from runbookURLPattern whose anchor is a heading of docs/runbooks.md;
// - every alert resolves on its own: state alerts compare gauges, event alerts look at a
//   bounded window of a counter (util.bornIncrease for series born inside the window);
// - no alert depends on a series that is absent exactly when the bad thing always happened
//   (a CronJob that never succeeded has no last success time: NeverSucceeded covers it).
local u = import 'lib/util.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local s(extra='') = u.sel(c, extra),
    local cj = u.by(c, ['namespace', 'cronjob']),
    local name = 'CronJob {{ $labels.namespace }}/{{ $labels.cronjob }}' + u.inCluster(c),
    local cjText = 'CronJob {{ $labels.namespace }}/{{ $labels.cronjob }}' + u.inCluster(c),
    local notSuspended = 'unless on (%s) (batchwatch_cronjob_suspended{%s} == 1)' % [cj, s()],
    local windowed(metric, extra='') =
      local sel = '%s{%s}' % [metric, s(extra)];
      u.bornIncrease(sel, c.eventWindow),
    local exporterName = 'batchwatch {{ $labels.instance }}' + u.inCluster(c),

    groups+: [
      {
        name: 'batchwatch-cronjobs',
        rules: [
          u.alert(
            c, 'BatchwatchCronJobLastRunFailed', 'warning',
            |||
              (
                batchwatch_cronjob_last_failure_time_seconds{%(s)s}
                  > (
                    batchwatch_cronjob_last_success_time_seconds{%(s)s}
                      or batchwatch_cronjob_last_failure_time_seconds{%(s)s} * 0
                  )
              )
              %(notSuspended)s
            ||| % { s: s(), notSuspended: notSuspended },
            '%s last run failed.' % name,
            // Pod reason and exit code from batchwatch_cronjob_last_run_info (Pods watch); the
            // sentence is left out when that series is absent or names no pod.
            'The most recent finished run of %s failed at {{ $value | humanizeTimestamp }} and no run has succeeded since.%s' % [
              cjText,
              u.queryEach(c, 'batchwatch_cronjob_last_run_info', ['namespace', 'cronjob', 'instance'], 'result="failed", pod_reason!=""',
                          ' Its last failed pod ended with {{ .Labels.pod_reason }}{{ if .Labels.exit_code }} (exit code {{ .Labels.exit_code }}){{ end }}{{ if .Labels.reason }}, the run with {{ .Labels.reason }}{{ end }}.'),
            ],
          ),
          u.alert(
            c, 'BatchwatchCronJobConsecutiveFailures', 'critical',
            |||
              (batchwatch_cronjob_consecutive_failures{%(s)s} >= %(n)d)
              %(notSuspended)s
            ||| % { s: s(), n: c.consecutiveFailuresThreshold, notSuspended: notSuspended },
            '%s failed {{ $value }} times in a row.' % name,
            'The last {{ $value }} runs of %s failed, with no successful run in between.' % cjText,
          ),
          u.alert(
            c, 'BatchwatchCronJobNoRecentSuccess', 'critical',
            |||
              (
                time() - batchwatch_cronjob_last_success_time_seconds{%(s)s}
                  > %(n)d * batchwatch_cronjob_schedule_interval_seconds{%(s)s}
              )
              %(notSuspended)s
            ||| % { s: s(), n: c.noRecentSuccessIntervals, notSuspended: notSuspended },
            '%s has not succeeded for more than %d schedule intervals.' % [name, c.noRecentSuccessIntervals],
            'The last successful run of %s ended {{ $value | humanizeDuration }} ago, more than %s times its schedule interval, although the CronJob is not suspended.' % [cjText, u.numberWord(c.noRecentSuccessIntervals)],
          ),
          // The gap NoRecentSuccess leaves: no last success time at all. Counts every way a
          // slot can end without success (failed runs, runs deleted by Replace or by hand,
          // missed and Forbid-skipped slots) in one selector: those series never share a label
          // set, and missed / skipped series have no result label.
          u.alert(
            c, 'BatchwatchCronJobNeverSucceeded', 'critical',
            |||
              (
                sum without (trigger, result, reason) (
                  {__name__=~"batchwatch_cronjob_runs_total|batchwatch_cronjob_missed_schedules_total|batchwatch_cronjob_forbid_skipped_total", %(s)s, result!="succeeded"}
                ) >= %(n)d
              )
              unless on (%(cj)s) batchwatch_cronjob_last_success_time_seconds{%(s)s}
              %(notSuspended)s
            ||| % { s: s(), n: c.neverSucceededOutcomes, cj: cj, notSuspended: notSuspended },
            '%s has never succeeded since batchwatch started watching it.' % name,
            '%s has no successful run on record, and {{ $value | humanize }} of its slots ended otherwise: runs that failed or were deleted (concurrencyPolicy Replace), slots missed or skipped by Forbid.' % cjText,
          ),
          u.alert(
            c, 'BatchwatchCronJobMissedSchedules', 'warning',
            '(\n%s\n) > 0' % u.indent(windowed('batchwatch_cronjob_missed_schedules_total'), 2),
            '%s missed scheduled runs ({{ $labels.reason }}).' % name,
            '%s missed {{ $value | humanize }} scheduled runs in the last %s (reason {{ $labels.reason }}): the controller never started them and never will.' % [cjText, u.humanWindow(c.eventWindow)],
          ),
          u.alert(
            c, 'BatchwatchCronJobForbidSkipped', 'warning',
            '(\n%s\n) > 0' % u.indent(windowed('batchwatch_cronjob_forbid_skipped_total'), 2),
            '%s skipped runs because the previous run was still active.' % name,
            '{{ $value | humanize }} scheduled runs of %s were skipped in the last %s because concurrencyPolicy Forbid held them back behind a run that overran its interval.' % [cjText, u.humanWindow(c.eventWindow)],
          ),
          u.alert(
            c, 'BatchwatchCronJobRunsReplaced', 'warning',
            '(\n%s\n) > 0' % u.indent(windowed('batchwatch_cronjob_replaced_total'), 2),
            '%s had active runs deleted by concurrencyPolicy Replace.' % name,
            '{{ $value | humanize }} runs of %s were deleted in the last %s before they finished, because the next slot came while they were active (concurrencyPolicy Replace): their work was not done.' % [cjText, u.humanWindow(c.eventWindow)],
          ),
          // Only while the newest finished run failed with an OOMKilled pod: a run whose pod was
          // OOMKilled and whose retry succeeded stays quiet (its OOM kills still count in
          // batchwatch_cronjob_pod_failures_total and show on the dashboards).
          u.alert(
            c, 'BatchwatchCronJobOOMKilled', 'warning',
            |||
              (
                sum without (reason) (
              %(oom)s
                ) > 0
              )
              and on (%(cj)s) (batchwatch_cronjob_last_run_info{%(last)s} == 1)
              %(notSuspended)s
            ||| % { oom: u.indent(windowed('batchwatch_cronjob_pod_failures_total', 'reason="OOMKilled"'), 4), cj: cj, last: s('result="failed", pod_reason="OOMKilled"'), notSuspended: notSuspended },
            '%s runs are OOMKilled.' % name,
            'The newest run of %s failed because its container was OOMKilled (exit code 137: it used more memory than its limit); {{ $value | humanize }} of its pods or container restarts were OOMKilled in the last %s. Raise the memory limit or lower the job\'s memory use.' % [cjText, u.humanWindow(c.eventWindow)],
          ),
          u.alert(
            c, 'BatchwatchCronJobCreateFailures', 'warning',
            '(\n%s\n) > 0' % u.indent(windowed('batchwatch_cronjob_create_failures_total'), 2),
            '%s cannot create its {{ if eq $labels.object "job" }}Jobs{{ else }}pods{{ end }} ({{ $labels.cause }}).' % name,
            '{{ $value | humanize }} times in the last %s the {{ if eq $labels.object "job" }}CronJob controller could not create a Job for{{ else }}Job controller could not create a pod for a run of{{ end }} %s (FailedCreate events, cause {{ $labels.cause }}): those runs do not start until the cause is removed.' % [u.humanWindow(c.eventWindow), cjText],
          ),
          u.alert(
            c, 'BatchwatchCronJobScheduleLag', 'warning',
            |||
              (batchwatch_cronjob_schedule_lag_seconds{%(s)s} > %(n)d)
              %(notSuspended)s
              unless on (%(cj)s) (
                batchwatch_cronjob_active_jobs{%(s)s} > 0
                  and on (%(cj)s) batchwatch_cronjob_info{%(forbid)s}
              )
            ||| % { s: s(), n: c.scheduleLagThresholdSeconds, cj: cj, notSuspended: notSuspended, forbid: s('concurrency_policy="Forbid"') },
            '%s has a due run that has not started.' % name,
            'A scheduled run of %s has been due for {{ $value | humanizeDuration }} and no Job was created for it: the CronJob controller is not scheduling it.' % cjText,
          ),
          u.alert(
            c, 'BatchwatchCronJobScheduleError', 'warning',
            'batchwatch_cronjob_schedule_error{%s} == 1' % s(),
            '%s cannot run ({{ $labels.error }}).' % name,
            '%s will never run: its schedule or time zone is invalid ({{ $labels.error }}).' % cjText,
          ),
          // About the CronJob, not one Job: short runs that overrun (Forbid, each Job living
          // less than `for`) keep the mean of the finished runs above the interval, a hung run
          // keeps the active-run branch true.
          u.alert(
            c, 'BatchwatchCronJobRunLongerThanInterval', 'warning',
            |||
              (
                max without (job_name) (time() - batchwatch_job_start_time_seconds{%(sc)s})
                  > batchwatch_cronjob_schedule_interval_seconds{%(s)s}
              )
              or (
                (
                  sum without (result) (increase(batchwatch_cronjob_run_duration_seconds_sum{%(s)s}[%(w)s]))
                    / sum without (result) (increase(batchwatch_cronjob_run_duration_seconds_count{%(s)s}[%(w)s]))
                )
                  > batchwatch_cronjob_schedule_interval_seconds{%(s)s}
              )
            ||| % { s: s(), sc: s('cronjob!=""'), w: c.runDurationWindow },
            '%s runs longer than its schedule interval.' % name,
            'Runs of %s take longer than its schedule interval: the active run has been going for, or the runs that finished in the last %s took on average, {{ $value | humanizeDuration }}. The next slots overlap (Allow), are skipped (Forbid) or kill the run (Replace).' % [cjText, u.humanWindow(c.runDurationWindow)],
          ),
          u.alert(
            c, 'BatchwatchCronJobSuspendedLong', 'info',
            |||
              (
                min by (%(cj)s) (min_over_time(batchwatch_cronjob_suspended{%(s)s}[%(w)s])) == 1
              )
              and on (%(cj)s) (batchwatch_cronjob_suspended{%(s)s} offset %(w)s == 1)
              and on (%(cj)s) (batchwatch_cronjob_suspended{%(s)s} == 1)
            ||| % { s: s(), cj: cj, w: c.suspendedLongWindow },
            '%s has been suspended for more than a day.' % name,
            '%s has been suspended (spec.suspend) for more than 24 hours; none of its scheduled runs happen.' % cjText,
          ),
        ] + [
          u.alert(
            c, 'BatchwatchCronJobErrorBudgetBurn', w.severity,
            |||
              (
                1 - (
                  avg_over_time(batchwatch:cronjob_runs_succeeded:increase%(sw)s[%(long)s])
                    / avg_over_time(batchwatch:cronjob_runs_ended:increase%(sw)s[%(long)s])
                )
              )
                > on (%(cj)s) group_left () (%(f)s * (1 - batchwatch:cronjob_slo_success_target))
              and on (%(cj)s)
              (
                1 - (
                  avg_over_time(batchwatch:cronjob_runs_succeeded:increase%(sw)s[%(short)s])
                    / avg_over_time(batchwatch:cronjob_runs_ended:increase%(sw)s[%(short)s])
                )
              )
                > on (%(cj)s) group_left () (%(f)s * (1 - batchwatch:cronjob_slo_success_target))
            ||| % { cj: cj, f: std.toString(w.factor), long: w.long, short: w.short, sw: c.sloShortWindow },
            '%s burns its success error budget %sx too fast.' % [name, std.toString(w.factor)],
            '{{ $value | humanizePercentage }} of the runs of %s that ended in the last %s did not succeed, and too many in the last %s too: at this rate its error budget (1 - batchwatch:cronjob_slo_success_target) is spent %s times faster than the SLO allows.' % [cjText, u.humanWindow(w.long), u.humanWindow(w.short), std.toString(w.factor)],
            { long_window: w.long, short_window: w.short },
          )
          for w in c.sloBurnRateWindows
        ],
      },
      {
        name: 'batchwatch-jobs',
        rules: [
          u.alert(
            c, 'BatchwatchJobPastActiveDeadline', 'warning',
            'time() - batchwatch_job_start_time_seconds{%(s)s} > batchwatch_job_deadline_seconds{%(s)s}' % { s: s() },
            'Job {{ $labels.namespace }}/{{ $labels.job_name }}%s is still active after its activeDeadlineSeconds.' % u.inCluster(c),
            'Job {{ $labels.namespace }}/{{ $labels.job_name }}%s ({{ if $labels.cronjob }}CronJob {{ $labels.namespace }}/{{ $labels.cronjob }}{{ else }}standalone{{ end }}) started {{ $value | humanizeDuration }} ago and is still active although its activeDeadlineSeconds has passed.' % u.inCluster(c),
          ),
          u.alert(
            c, 'BatchwatchJobGroupFailing', 'warning',
            'sum without (reason, result) (\n%s\n) > 0' % u.indent(windowed('batchwatch_job_runs_total', 'result="failed"'), 2),
            'Standalone Jobs of group {{ $labels.namespace }}/{{ $labels.job_group }}%s are failing.' % u.inCluster(c),
            '{{ $value | humanize }} standalone Jobs of group {{ $labels.namespace }}/{{ $labels.job_group }}%s (not owned by a CronJob) failed in the last %s.' % [u.inCluster(c), u.humanWindow(c.eventWindow)],
          ),
          // The reason is aggregated away in the expression (a pod that cannot pull its image
          // alternates between ErrImagePull and ImagePullBackOff, which would restart `for`)
          // and queried back for the texts.
          u.alert(
            c, 'BatchwatchJobPodsWaiting', 'warning',
            'sum without (reason) (batchwatch_job_waiting_pods{%s}) > 0' % s(),
            'Pods of Job {{ $labels.namespace }}/{{ $labels.job_name }}%s have been waiting for more than %s (%s).' % [
              u.inCluster(c), u.humanWindow(c.alertFor.BatchwatchJobPodsWaiting),
              u.queryEach(c, 'batchwatch_job_waiting_pods', ['namespace', 'job_name', 'instance'], '', '{{ if $i }}, {{ end }}{{ .Labels.reason }}'),
            ],
            '{{ $value }} pods of Job {{ $labels.namespace }}/{{ $labels.job_name }}%s ({{ if $labels.cronjob }}CronJob {{ $labels.namespace }}/{{ $labels.cronjob }}{{ else }}standalone{{ end }}) have not been running for more than %s: %s. The run cannot make progress until they start.' % [
              u.inCluster(c), u.humanWindow(c.alertFor.BatchwatchJobPodsWaiting),
              u.queryEach(c, 'batchwatch_job_waiting_pods', ['namespace', 'job_name', 'instance'], '', '{{ if $i }}, {{ end }}{{ .Value }} {{ .Labels.reason }}'),
            ],
          ),
          u.alert(
            c, 'BatchwatchJobGroupCreateFailures', 'warning',
            '(\n%s\n) > 0' % u.indent(windowed('batchwatch_job_create_failures_total'), 2),
            'Standalone Jobs of group {{ $labels.namespace }}/{{ $labels.job_group }}%s cannot create their pods ({{ $labels.cause }}).' % u.inCluster(c),
            '{{ $value | humanize }} times in the last %s the Job controller could not create a pod for a standalone Job of group {{ $labels.namespace }}/{{ $labels.job_group }}%s (FailedCreate events, cause {{ $labels.cause }}): those Jobs do not run until the cause is removed.' % [u.humanWindow(c.eventWindow), u.inCluster(c)],
          ),
        ],
      },
      {
        name: 'batchwatch-exporter',
        rules: [
          u.alert(
            c, 'BatchwatchDown', 'critical',
            'up{%(s)s} == 0 or absent(up{%(s)s})' % { s: s() },
            'batchwatch is down or not scraped%s.' % (if c.showMultiCluster then '{{ if $labels.%(l)s }} in cluster {{ $labels.%(l)s }}{{ end }}' % { l: c.clusterLabel } else ''),
            '{{ if $labels.instance }}Prometheus has not scraped batchwatch at {{ $labels.instance }}%s successfully for %s{{ else }}Prometheus has no target matching {%s}{{ end }}: no CronJob or Job alert can fire.' % [u.inCluster(c), u.humanWindow(c.alertFor.BatchwatchDown), c.batchwatchSelector],
          ),
          u.alert(
            c, 'BatchwatchNotSynced', 'warning',
            'batchwatch_synced{%s} == 0' % s(),
            'batchwatch has not completed the initial list of {{ $labels.resource }}%s.' % u.inCluster(c),
            '%s has not finished listing {{ $labels.resource }} from the Kubernetes API for %s; its metrics for them are incomplete.' % [exporterName, u.humanWindow(c.alertFor.BatchwatchNotSynced)],
          ),
          u.alert(
            c, 'BatchwatchWatchStale', 'warning',
            'time() - batchwatch_last_event_timestamp_seconds{%s} > %d' % [s(), c.watchStaleThresholdSeconds],
            'batchwatch has received nothing from its {{ $labels.resource }} watch for {{ $value | humanizeDuration }}%s.' % u.inCluster(c),
            '%s received no watch event or bookmark for {{ $labels.resource }} for {{ $value | humanizeDuration }}; the API server sends at least a bookmark before each watch times out (10 minutes at most), so the watch is stuck and the metrics are stale.' % exporterName,
          ),
          u.alert(
            c, 'BatchwatchKubeApiErrors', 'warning',
            |||
              (
                sum without (code, verb) (rate(batchwatch_api_requests_total{%(bad)s}[%(w)s]))
                  / sum without (code, verb) (rate(batchwatch_api_requests_total{%(s)s}[%(w)s]))
              ) > %(r)s
            ||| % { s: s(), bad: s('code!~"2..|410"'), w: c.kubeApiErrorWindow, r: std.toString(c.kubeApiErrorRatio) },
            'Most Kubernetes API requests of batchwatch for {{ $labels.resource }} fail%s.' % u.inCluster(c),
            '{{ $value | humanizePercentage }} of the API requests %s made for {{ $labels.resource }} in the last %s failed (answers other than 2xx and 410 Gone, or no answer).' % [exporterName, u.humanWindow(c.kubeApiErrorWindow)],
          ),
          // Both branches: a last save that is too old, and failed saves with no successful
          // save at all (the timestamp is absent then, so the first branch cannot see it).
          u.alert(
            c, 'BatchwatchStateNotSaved', 'warning',
            |||
              (time() - batchwatch_state_last_save_timestamp_seconds{%(s)s} > %(age)d)
              or (
                (
              %(errors)s
                ) > 0
                  unless batchwatch_state_last_save_timestamp_seconds{%(s)s}
              )
            ||| % { s: s(), age: c.stateSaveMaxAgeSeconds, errors: u.indent(u.bornIncrease('batchwatch_state_save_errors_total{%s}' % s(), c.stateSaveErrorWindow), 4) },
            '%s cannot save its state file.' % exporterName,
            '%s has not written its --state-file successfully for more than %ds, or its saves fail and none has succeeded yet: a restart now loses the run history it would restore from the file.' % [exporterName, c.stateSaveMaxAgeSeconds],
          ),
        ],
      },
    ],
  },
}
