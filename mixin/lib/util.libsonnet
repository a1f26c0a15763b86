// PromQL and annotation building blocks shared by the rules and the dashboards. Every
// function takes the mixin's _config as `c`.
{
  // The matchers of a selector: batchwatchSelector plus `extra` (a string of matchers).
  sel(c, extra=''):: std.join(', ', [m for m in [c.batchwatchSelector, extra] if m != '']),

  // Label list of a `by (...)` or `on (...)` clause: with showMultiCluster the cluster label
  // comes first, so no aggregation or join merges two clusters.
  by(c, labels):: std.join(', ', (if c.showMultiCluster then [c.clusterLabel] else []) + labels),

  // " in cluster <name>" for alert texts, empty for a single cluster.
  inCluster(c):: if c.showMultiCluster then ' in cluster {{ $labels.%s }}' % c.clusterLabel else '',

  // Collapses identical HA replicas (series that differ only by replicaLabels).
  dedup(c, expr):: 'max without (%s) (%s)' % [std.join(', ', c.replicaLabels), expr],

  // Increase of counter selector `s` over `w`, counting a series born inside the window with
  // its whole value: increase() alone cannot see the first increment of a series that appears
  // with value 1.
  bornIncrease(s, w)::
    '(\n  increase(%(s)s[%(w)s])\n    and %(s)s offset %(w)s\n)\nor (\n  %(s)s\n    unless %(s)s offset %(w)s\n)' % { s: s, w: w },

  indent(text, n)::
    local pad = std.repeat(' ', n);
    std.join('\n', [if l == '' then l else pad + l for l in std.split(text, '\n')]),

  // '1h' -> 'hour', '10m' -> '10 minutes': for "in the last hour", "for 10 minutes".
  humanWindow(w)::
    local units = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week' };
    local n = std.parseInt(std.substr(w, 0, std.length(w) - 1));
    local unit = units[std.substr(w, std.length(w) - 1, 1)];
    if n == 1 then unit else '%d %ss' % [n, unit],

  // 3 -> 'three' (up to ten), for "more than three times its schedule interval".
  numberWord(n)::
    local words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
    if n >= 0 && n <= 10 then words[n] else std.toString(n),

  // An annotation template that queries `metric` for the alert's own object: `labels` are the
  // alert labels to match (with showMultiCluster also the cluster), `extra` more matchers
  // (PromQL, double quotes allowed). Renders `body` for each series found (`.Labels.x`,
  // `.Value`, `$i` its index), and nothing when there is none, so the text stays whole when the
  // series is absent.
  queryEach(c, metric, labels, extra, body)::
    local all = (if c.showMultiCluster then [c.clusterLabel] else []) + labels;
    local matchers = [m for m in [c.batchwatchSelector, extra] if m != ''] + ['%s=%%q' % l for l in all];
    local sel = std.strReplace('%s{%s}' % [metric, std.join(', ', matchers)], '"', '\\"');
    '{{ range $i, $s := printf "%s" %s | query }}%s{{ end }}' % [sel, std.join(' ', ['$labels.' + l for l in all]), body],

  runbook(c, alertName):: c.runbookURLPattern % std.asciiLower(alertName),

  // The link to the batchwatch status page of the CronJob or job group an alert text names,
  // under --external-url (read from batchwatch_status_page_info when the notification is
  // rendered), as a sentence appended to the description; nothing when no batchwatch sets
  // --external-url. Not an annotation of its own: Prometheus keeps empty annotations, so one
  // would show as "" wherever the flag is not set.
  statusPage(c, text)::
    // std.strReplace, not std.findSubstr: jsonnet 0.18's findSubstr takes seconds on a
    // description (it builds a substring per position), strReplace milliseconds.
    local mentions(s) = std.strReplace(text, s, '') != text;
    local cronjob = mentions('$labels.cronjob');
    local group = mentions('$labels.job_group');
    local matchers = $.sel(c, if c.showMultiCluster then '%s=%%q' % c.clusterLabel else '');
    local query =
      if c.showMultiCluster then '(printf `batchwatch_status_page_info{%s}` $labels.%s)' % [matchers, c.clusterLabel]
      else '`batchwatch_status_page_info{%s}`' % matchers;
    if !cronjob && !group then '' else
      '{{ with query %s }}{{ with index . 0 }} Status page: {{ .Labels.url }}/%s/{{ $labels.namespace }}/{{ $labels.%s }}{{ end }}{{ end }}' % (
        if cronjob then [query, 'cronjobs', 'cronjob'] else [query, 'jobgroups', 'job_group']
      ),

  alert(c, name, severity, expr, summary, description, labels={}):: {
    alert: name,
    expr: expr + '\n',
    labels: { severity: severity } + labels,
    annotations: {
      summary: summary,
      description: description + $.statusPage(c, description),
      runbook_url: $.runbook(c, name),
    },
  } + (if c.alertFor[name] != '0s' then { 'for': c.alertFor[name] } else {}),
}
