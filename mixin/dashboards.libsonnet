// The two Grafana dashboards. Panels whose query is legitimately empty in a healthy cluster
// (no failing CronJob, no active run) set noValue; tests/alerts/check_dashboards.py reports
// them as may_be_empty. Aggregations over CronJobs take `max without (replicaLabels)` first, so
// two identical batchwatch replicas are not counted twice.
local g = import 'lib/grafana.libsonnet';
local u = import 'lib/util.libsonnet';

local RED_FROM_1 = [{ color: 'green', value: null }, { color: 'red', value: 1 }];
local RATIO_STEPS = [{ color: 'red', value: null }, { color: 'orange', value: 0.9 }, { color: 'green', value: 0.99 }];

{
  grafanaDashboards+:: {
    local c = $._config,
    local d(x) = u.dedup(c, x),
    local clusterMatcher = if c.showMultiCluster then '%s="$cluster"' % c.clusterLabel else '',
    local sel(extra) = u.sel(c, std.join(', ', [m for m in [clusterMatcher, extra] if m != ''])),
    local clusterVariable =
      if c.showMultiCluster then
        [g.queryVariable('cluster', 'Cluster', 'label_values(batchwatch_cronjob_info{%s}, %s)' % [c.batchwatchSelector, c.clusterLabel], multi=false)]
      else [],
    local clusterParam = if c.showMultiCluster then '&${cluster:queryparam}' else '',

    'batchwatch-fleet.json':
      local ns = sel('namespace=~"$namespace"');
      local F = 'batchwatch_cronjob_last_failure_time_seconds{%s}' % ns;
      local S = 'batchwatch_cronjob_last_success_time_seconds{%s}' % ns;
      local failing = '%s > (%s or %s * 0)' % [F, S, F];
      local byCJ = 'namespace, cronjob';
      local drill = '/d/batchwatch-cronjob/batchwatch-cronjob?var-namespace=${__data.fields.namespace}&var-cronjob=${__data.fields.cronjob}&${datasource:queryparam}' + clusterParam;
      local drillOverride = {
        matcher: { id: 'byName', options: 'cronjob' },
        properties: [{ id: 'links', value: [{ title: 'CronJob dashboard', url: drill }] }],
      };
      local q(metric, extra='') = '%s{%s}' % [metric, if extra == '' then ns else ns + ', ' + extra];
      local items = [
        g.row('Overview'),
        g.sized(g.stat('CronJobs', 'CronJobs batchwatch watches.', 'short',
                       'count(%s) or vector(0)' % d(q('batchwatch_cronjob_info'))), 3, 4),
        g.sized(g.stat('Failing CronJobs', 'CronJobs whose newest finished run failed.', 'short',
                       'count(%s) or vector(0)' % d(failing), thresholds=RED_FROM_1), 3, 4),
        g.sized(g.stat('Schedule errors', 'CronJobs that cannot run: unparseable schedule, never fires or unknown time zone.', 'short',
                       'count(%s == 1) or vector(0)' % d(q('batchwatch_cronjob_schedule_error')), thresholds=RED_FROM_1), 3, 4),
        g.sized(g.stat('Suspended', 'CronJobs with spec.suspend.', 'short',
                       'sum(%s) or vector(0)' % d(q('batchwatch_cronjob_suspended'))), 3, 4),
        g.sized(g.stat('Active runs', 'Runs of CronJobs not finished now.', 'short',
                       'sum(%s) or vector(0)' % d(q('batchwatch_cronjob_active_jobs'))), 3, 4),
        g.sized(g.stat('Success ratio', 'Succeeded / (succeeded + failed) runs in the selected time range.', 'percentunit',
                       'sum(%s) / sum(%s)' % [
                         d('increase(%s[$__range])' % q('batchwatch_cronjob_runs_total', 'result="succeeded"')),
                         d('increase(%s[$__range])' % q('batchwatch_cronjob_runs_total', 'result=~"succeeded|failed"')),
                       ], noValue='no runs', thresholds=RATIO_STEPS), 3, 4),
        g.sized(g.stat('Missed slots', 'Scheduled runs that never happened (not Forbid) in the selected time range.', 'short',
                       'round(sum(%s)) or vector(0)' % d('increase(%s[$__range])' % q('batchwatch_cronjob_missed_schedules_total')),
                       thresholds=RED_FROM_1), 3, 4),
        g.sized(g.stat('Forbid-skipped slots', 'Scheduled runs skipped behind an overrunning run (concurrencyPolicy Forbid) in the selected time range.', 'short',
                       'round(sum(%s)) or vector(0)' % d('increase(%s[$__range])' % q('batchwatch_cronjob_forbid_skipped_total')),
                       thresholds=[{ color: 'green', value: null }, { color: 'orange', value: 1 }]), 3, 4),

        g.row('CronJobs'),
        g.sized(g.table(
          'All CronJobs',
          'Every CronJob: result of its newest finished run (from the last success and last failure times), time since its last success, time to its next slot, failed runs in the last 24 hours (counting a first failure too), 7-day success ratio (recording rule) and suspension. Click a name for its dashboard.',
          'short',
          [
            g.target('max by (%s) ((%s > bool (%s or %s * 0)) or (%s * 0))' % [byCJ, F, S, F, S], ref='A'),
            g.target('time() - max by (%s) (%s)' % [byCJ, S], ref='B'),
            g.target('max by (%s) (%s) - time()' % [byCJ, q('batchwatch_cronjob_next_schedule_time_seconds')], ref='C'),
            g.target('round(sum by (%s) (%s)) or max by (%s) (%s) * 0' % [
              byCJ, d(u.bornIncrease(q('batchwatch_cronjob_runs_total', 'result="failed"'), '24h')),
              byCJ, q('batchwatch_cronjob_info'),
            ], ref='D'),
            g.target('max by (%s) (%s)' % [byCJ, q('batchwatch:cronjob_success_ratio:7d')], ref='E'),
            g.target('max by (%s) (%s)' % [byCJ, q('batchwatch_cronjob_suspended')], ref='F'),
          ],
          noValue='No CronJobs',
          overrides=[
            {
              matcher: { id: 'byName', options: 'Last result' },
              properties: [{ id: 'mappings', value: [{ type: 'value', options: {
                '0': { text: 'succeeded', color: 'green', index: 0 },
                '1': { text: 'failed', color: 'red', index: 1 },
              } }] }, { id: 'custom.cellOptions', value: { type: 'color-text' } }],
            },
            g.unitOverride('Last success', 's'),
            g.unitOverride('Next run in', 's'),
            g.unitOverride('Success ratio (7d)', 'percentunit'),
            drillOverride,
          ],
          rename={
            'Value #A': 'Last result',
            'Value #B': 'Last success',
            'Value #C': 'Next run in',
            'Value #D': 'Failures (24h)',
            'Value #E': 'Success ratio (7d)',
            'Value #F': 'Suspended',
          },
          exclude=['Time', 'job', 'instance', '__name__'],
        ), 24, 10),

        g.row('Runs'),
        g.sized(g.timeseries('Runs finished by result', 'CronJob runs ending per minute, by result.', 'opm',
                             g.targets([['sum by (result) (%s) * 60' % d('rate(%s[$__rate_interval])' % q('batchwatch_cronjob_runs_total')), '{{result}}']]),
                             stack=true), 12, 8),
        g.sized(g.timeseries('Failed runs by CronJob', 'Failed runs per minute, by CronJob.', 'opm',
                             g.targets([['sum by (%s) (%s) * 60 > 0' % [byCJ, d('rate(%s[$__rate_interval])' % q('batchwatch_cronjob_runs_total', 'result="failed"'))], '{{namespace}}/{{cronjob}}']]),
                             noValue='No failed runs'), 12, 8),
        g.sized(g.table(
          'Failing CronJobs',
          'CronJobs whose newest finished run failed: failures in a row, and how long ago the newest failure ended (click a name for its dashboard).',
          'short',
          [
            g.target('max by (%s) (%s and (%s))' % [byCJ, q('batchwatch_cronjob_consecutive_failures'), failing], ref='A'),
            g.target('time() - max by (%s) (%s)' % [byCJ, failing], ref='B'),
          ],
          noValue='No failing CronJobs',
          overrides=[g.unitOverride('Last failure', 's'), drillOverride],
          rename={ 'Value #A': 'Consecutive failures', 'Value #B': 'Last failure' },
          exclude=['Time', 'job', 'instance', '__name__'],
        ), 24, 8),

        g.row('Why runs fail and do not start'),
        g.sized(g.timeseries('Pod failures by CronJob and reason', 'Failed attempts (failed pods and OnFailure container restarts) per CronJob, stacked by pod reason (OOMKilled, Error, Evicted, PreemptionByScheduler, DeadlineExceeded, ...). Retried attempts count too, also when the run then succeeded.', 'short',
                             g.targets([['sum by (namespace, cronjob, reason) (%s) > 0' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_pod_failures_total')), '{{namespace}}/{{cronjob}} {{reason}}']]),
                             noValue='No pod failures', bars=true, stack=true), 12, 8),
        g.sized(g.timeseries('Creation failures by cause', 'FailedCreate events per CronJob: the CronJob controller could not create a Job (job) or the Job controller a pod (pod), by cause (quota, pod_security, webhook, limit_range, forbidden, invalid, other).', 'short',
                             g.targets([['sum by (namespace, cronjob, object, cause) (%s) > 0' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_create_failures_total')), '{{namespace}}/{{cronjob}} {{object}} {{cause}}']]),
                             noValue='No creation failures', bars=true, stack=true), 12, 8),
        g.sized(g.timeseries('Waiting pods by reason', 'Pods of unfinished Jobs that are not running, by why (Unschedulable, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, ContainerCreating, ...).', 'short',
                             g.targets([['sum by (reason) (%s)' % d(q('batchwatch_job_waiting_pods')), '{{reason}}']]),
                             noValue='No waiting pods', stack=true), 8, 8),
        g.sized(g.table(
          'Last runs',
          "Each CronJob's newest finished run: result and reason as in runs_total, the reason and exit code of its last failed pod, and how long ago the newest run (success or failure) ended.",
          'short',
          [
            g.target('max by (%s, result, reason, pod_reason, exit_code) (%s)' % [byCJ, q('batchwatch_cronjob_last_run_info')], ref='A'),
            g.target('time() - max by (%s) (%s or %s)' % [byCJ, F, S], ref='B'),
          ],
          noValue='No finished runs',
          overrides=[g.unitOverride('Ended', 's'), drillOverride],
          rename={ pod_reason: 'pod reason', exit_code: 'exit code', 'Value #B': 'Ended' },
          exclude=['Time', 'job', 'instance', '__name__', 'Value #A'],
        ), 16, 8),

        g.row('Slots'),
        g.sized(g.timeseries('Missed slots', 'Slots that will never run, by CronJob and reason (deadline_exceeded or superseded).', 'short',
                             g.targets([['sum by (namespace, cronjob, reason) (%s) > 0' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_missed_schedules_total')), '{{namespace}}/{{cronjob}} {{reason}}']]),
                             noValue='No missed slots', bars=true), 8, 8),
        g.sized(g.timeseries('Forbid-skipped slots', 'Slots skipped because concurrencyPolicy Forbid held them behind an active run, by CronJob.', 'short',
                             g.targets([['sum by (%s) (%s) > 0' % [byCJ, d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_forbid_skipped_total'))], '{{namespace}}/{{cronjob}}']]),
                             noValue='No skipped slots', bars=true), 8, 8),
        g.sized(g.timeseries('Schedule lag (top 10)', 'How long the most recent due slot has waited for its Job; 0 when nothing is overdue.', 's',
                             g.targets([['topk(10, max by (%s) (%s))' % [byCJ, q('batchwatch_cronjob_schedule_lag_seconds')], '{{namespace}}/{{cronjob}}']])), 8, 8),

        g.row('Durations'),
        g.sized(g.panel('heatmap', 'Run duration distribution', 'Finished runs of all selected CronJobs by duration bucket.', 's',
                        [g.target('sum by (le) (%s)' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_run_duration_seconds_bucket')), legend='{{le}}', format='heatmap')],
                        options={
                          calculate: false,
                          yAxis: { unit: 's', axisPlacement: 'left' },
                          cellValues: { unit: 'short' },
                          color: { mode: 'scheme', scheme: 'Oranges', fill: 'dark', scale: 'exponential', exponent: 0.5, steps: 64 },
                          rowsFrame: { layout: 'auto' },
                          filterValues: { le: 1e-09 },
                          tooltip: { show: true, yHistogram: false },
                          legend: { show: true },
                        }), 12, 8),
        g.sized(g.timeseries('Run duration p50 / p95', 'Duration quantiles of finished runs.', 's',
                             g.targets([
                               ['histogram_quantile(%s, sum by (le) (%s))' % [p, d('rate(%s[$__rate_interval])' % q('batchwatch_cronjob_run_duration_seconds_bucket'))], 'p' + std.strReplace(p, '0.', '')]
                               for p in ['0.5', '0.95']
                             ])), 6, 8),
        g.sized(g.timeseries('Start delay p50 / p95', 'Job creation time minus its slot: how late the controller starts scheduled runs.', 's',
                             g.targets([
                               ['histogram_quantile(%s, sum by (le) (%s))' % [p, d('rate(%s[$__rate_interval])' % q('batchwatch_cronjob_start_delay_seconds_bucket'))], 'p' + std.strReplace(p, '0.', '')]
                               for p in ['0.5', '0.95']
                             ])), 6, 8),

        g.row('Standalone Jobs'),
        g.sized(g.timeseries('Standalone Job runs by group and result', 'Runs of Jobs not owned by a CronJob, per minute.', 'opm',
                             g.targets([['sum by (namespace, job_group, result) (%s) * 60' % d('rate(%s[$__rate_interval])' % q('batchwatch_job_runs_total')), '{{namespace}}/{{job_group}} {{result}}']]),
                             noValue='No standalone Job runs'), 24, 8),

        g.row('batchwatch'),
        g.sized(g.stat('Exporter up', 'Scrape health of batchwatch (the lowest of all its targets).', 'short',
                       'min(up{%s})' % sel(''),
                       thresholds=[{ color: 'red', value: null }, { color: 'green', value: 1 }]), 4, 6),
        g.sized(g.timeseries('Time since last watch event', 'Per batchwatch instance and resource; the API server sends at least a bookmark every watch timeout.', 's',
                             g.targets([['time() - batchwatch_last_event_timestamp_seconds{%s}' % sel(''), '{{instance}} {{resource}}']])), 10, 6),
        g.sized(g.timeseries('API requests by code', 'Kubernetes API requests of batchwatch (all instances).', 'reqps',
                             g.targets([['sum by (resource, verb, code) (rate(batchwatch_api_requests_total{%s}[$__rate_interval]))' % sel(''), '{{resource}} {{verb}} {{code}}']])), 10, 6),
      ];
      g.dashboard(
        c, 'batchwatch-fleet', 'batchwatch / CronJob fleet',
        'Every CronJob with its last result and next run, success and failure rates, failing CronJobs, missed and skipped slots, schedule lag and durations.',
        [g.datasourceVariable()] + clusterVariable + [
          g.queryVariable('namespace', 'Namespace', 'label_values(batchwatch_cronjob_info{%s}, namespace)' % sel(''), multi=true),
        ],
        g.layout(items),
        [{ title: 'CronJob', type: 'dashboards', tags: ['batchwatch'], asDropdown: true, includeVars: false, keepTime: true, icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
      ),

    'batchwatch-cronjob.json':
      local s = sel('namespace="$namespace", cronjob="$cronjob"');
      local q(metric, extra='') = '%s{%s}' % [metric, if extra == '' then s else s + ', ' + extra];
      local items = [
        g.row('Now'),
        g.sized(g.stat('Last success', 'Time since the end of the last successful run.', 's',
                       'time() - max(%s)' % q('batchwatch_cronjob_last_success_time_seconds'), noValue='never'), 4, 4),
        g.sized(g.stat('Next run in', 'Time to the next slot (absent when suspended or the schedule is invalid).', 's',
                       'max(%s) - time()' % q('batchwatch_cronjob_next_schedule_time_seconds'), noValue='none'), 4, 4),
        g.sized(g.stat('Schedule interval', 'Gap between the next two slots.', 's',
                       'max(%s)' % q('batchwatch_cronjob_schedule_interval_seconds'), noValue='none'), 4, 4),
        g.sized(g.stat('Active runs', 'Runs not finished now.', 'short',
                       'max(%s)' % q('batchwatch_cronjob_active_jobs')), 4, 4),
        g.sized(g.stat('Consecutive failures', 'Failed runs since the last successful one.', 'short',
                       'max(%s)' % q('batchwatch_cronjob_consecutive_failures'), thresholds=RED_FROM_1), 4, 4),
        g.sized(g.stat('Schedule lag', 'How long the most recent due slot has waited for its Job.', 's',
                       'max(%s)' % q('batchwatch_cronjob_schedule_lag_seconds'),
                       thresholds=[{ color: 'green', value: null }, { color: 'orange', value: 60 }, { color: 'red', value: 300 }]), 4, 4),
        g.sized(g.table('Definition', 'Schedule, time zone it is evaluated in, concurrency policy and suspension.', 'short',
                        [
                          g.target('max by (namespace, cronjob, schedule, timezone, concurrency_policy) (%s)' % q('batchwatch_cronjob_info'), ref='A'),
                          g.target('max by (namespace, cronjob) (%s)' % q('batchwatch_cronjob_suspended'), ref='B'),
                        ],
                        noValue=null, overrides=[],
                        rename={ 'Value #B': 'suspended', concurrency_policy: 'concurrency policy' },
                        exclude=['Time', 'Value #A']), 12, 5),
        g.sized(g.table('Active runs', 'Jobs of this CronJob that are running now.', 's',
                        [
                          g.target('max by (job_name) (time() - %s)' % q('batchwatch_job_start_time_seconds'), ref='A'),
                          g.target('max by (job_name) (%s)' % q('batchwatch_job_active_pods'), ref='B'),
                          g.target('max by (job_name) (%s)' % q('batchwatch_job_failed_pods'), ref='C'),
                          g.target('max by (job_name) (%s)' % q('batchwatch_job_deadline_seconds'), ref='D'),
                        ],
                        noValue='No active run',
                        overrides=[g.unitOverride('active pods', 'short'), g.unitOverride('failed pods', 'short')],
                        rename={ 'Value #A': 'running for', 'Value #B': 'active pods', 'Value #C': 'failed pods', 'Value #D': 'activeDeadlineSeconds', job_name: 'job' },
                        exclude=['Time', 'job', 'instance', 'namespace', 'cronjob', '__name__']), 12, 5),

        g.row('SLO'),
        g.sized(g.stat(
          'Success ratio', 'Succeeded / ended runs (failed and deleted runs count against it) over 1, 7 and 30 days, from the recording rules batchwatch:cronjob_success_ratio:<window> (updated hourly).', 'percentunit', '',
          noValue='no runs', thresholds=RATIO_STEPS, decimals=2,
          targets=[g.target('max(%s)' % q('batchwatch:cronjob_success_ratio:' + w), legend=w, ref=std.char(std.codepoint('A') + i), instant=true)
                   for i in std.range(0, std.length(c.sloWindows) - 1) for w in [c.sloWindows[i]]],
        ), 12, 4),
        g.sized(g.stat(
          'On-time ratio', 'Slots whose Job was created within %ss of the slot / slots due (ran, missed or Forbid-skipped) over 1, 7 and 30 days, from batchwatch:cronjob_on_time_ratio:<window> (updated hourly).' % c.sloStartDelayBudget, 'percentunit', '',
          noValue='no slots', thresholds=RATIO_STEPS, decimals=2,
          targets=[g.target('max(%s)' % q('batchwatch:cronjob_on_time_ratio:' + w), legend=w, ref=std.char(std.codepoint('A') + i), instant=true)
                   for i in std.range(0, std.length(c.sloWindows) - 1) for w in [c.sloWindows[i]]],
        ), 12, 4),

        g.row('History'),
        g.sized(g.timeseries('Run outcomes', 'Runs that ended, by result and reason.', 'short',
                             g.targets([['sum by (result, reason) (%s) > 0' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_runs_total')), '{{result}} {{reason}}']]),
                             noValue='No runs ended', bars=true, stack=true), 12, 8),
        g.sized(g.timeseries('Run duration p50 / p95 against the schedule interval',
                             'Quantiles of finished runs over the sliding $window; runs above the interval overlap, are skipped (Forbid) or replaced.', 's',
                             g.targets([
                               ['histogram_quantile(0.5, sum by (le) (%s))' % d('rate(%s[$window])' % q('batchwatch_cronjob_run_duration_seconds_bucket')), 'p50'],
                               ['histogram_quantile(0.95, sum by (le) (%s))' % d('rate(%s[$window])' % q('batchwatch_cronjob_run_duration_seconds_bucket')), 'p95'],
                               ['max(%s)' % q('batchwatch_cronjob_schedule_interval_seconds'), 'schedule interval'],
                             ])), 12, 8),
        g.sized(g.timeseries('Missed, skipped and replaced slots', 'Slots that never ran, by cause.', 'short',
                             g.targets([
                               ['sum by (reason) (%s) > 0' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_missed_schedules_total')), 'missed ({{reason}})'],
                               ['sum(%s) > 0' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_forbid_skipped_total')), 'forbid-skipped'],
                               ['sum(%s) > 0' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_replaced_total')), 'replaced'],
                             ]),
                             noValue='None', bars=true, stack=true), 8, 8),
        g.sized(g.timeseries('Start delay p50 / p95', 'Job creation time minus its slot, over the sliding $window.', 's',
                             g.targets([
                               ['histogram_quantile(0.5, sum by (le) (%s))' % d('rate(%s[$window])' % q('batchwatch_cronjob_start_delay_seconds_bucket')), 'p50'],
                               ['histogram_quantile(0.95, sum by (le) (%s))' % d('rate(%s[$window])' % q('batchwatch_cronjob_start_delay_seconds_bucket')), 'p95'],
                             ])), 8, 8),
        g.sized(g.timeseries('Last success age and schedule lag', 'Both grow while runs fail or do not start.', 's',
                             g.targets([
                               ['time() - max(%s)' % q('batchwatch_cronjob_last_success_time_seconds'), 'since last success'],
                               ['max(%s)' % q('batchwatch_cronjob_schedule_lag_seconds'), 'schedule lag'],
                             ]),
                             noValue='never succeeded'), 8, 8),

        g.row('Why runs fail and do not start'),
        g.sized(g.table('Last run', 'The newest finished run: result and reason as in runs_total, the reason and exit code of its last failed pod ("" when none), and how long ago it ended.', 'short',
                        [
                          g.target('max by (result, reason, pod_reason, exit_code) (%s)' % q('batchwatch_cronjob_last_run_info'), ref='A'),
                          g.target('time() - max(%s or %s)' % [q('batchwatch_cronjob_last_failure_time_seconds'), q('batchwatch_cronjob_last_success_time_seconds')], ref='B'),
                        ],
                        noValue='No finished run',
                        overrides=[g.unitOverride('Ended', 's')],
                        rename={ pod_reason: 'pod reason', exit_code: 'exit code', 'Value #B': 'Ended' },
                        exclude=['Time', 'Value #A']), 12, 4),
        g.sized(g.timeseries('Waiting pods by reason', 'Pods of this CronJob\'s unfinished Jobs that are not running, by Job and why.', 'short',
                             g.targets([['sum by (job_name, reason) (%s)' % d(q('batchwatch_job_waiting_pods')), '{{job_name}} {{reason}}']]),
                             noValue='No waiting pods', stack=true), 12, 4),
        g.sized(g.timeseries('Failure causes', 'Failed attempts (failed pods and OnFailure container restarts), stacked by pod reason; retried attempts count too.', 'short',
                             g.targets([['sum by (reason) (%s) > 0' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_pod_failures_total')), '{{reason}}']]),
                             noValue='No pod failures', bars=true, stack=true), 12, 8),
        g.sized(g.timeseries('Creation failures by cause', 'FailedCreate events: Jobs (job) or pods (pod) that could not be created, by cause.', 'short',
                             g.targets([['sum by (object, cause) (%s) > 0' % d('increase(%s[$__rate_interval])' % q('batchwatch_cronjob_create_failures_total')), '{{object}} {{cause}}']]),
                             noValue='No creation failures', bars=true, stack=true), 12, 8),
      ];
      g.dashboard(
        c, 'batchwatch-cronjob', 'batchwatch / CronJob',
        'One CronJob: state now, SLO ratios, run outcomes, durations against the schedule interval, missed and skipped slots.',
        [g.datasourceVariable()] + clusterVariable + [
          g.queryVariable('namespace', 'Namespace', 'label_values(batchwatch_cronjob_info{%s}, namespace)' % sel(''), multi=false),
          g.queryVariable('cronjob', 'CronJob', 'label_values(batchwatch_cronjob_info{%s}, cronjob)' % sel('namespace="$namespace"'), multi=false),
          g.customVariable('window', 'Quantile window', ['1h', '6h', '1d', '7d'], '1d'),
        ],
        g.layout(items),
        [{ title: 'Fleet', type: 'link', url: '/d/batchwatch-fleet/batchwatch-fleet', icon: 'dashboard', includeVars: c.showMultiCluster, keepTime: true, asDropdown: false, targetBlank: false, tags: [], tooltip: 'All CronJobs' }],
      ),
  },
}
