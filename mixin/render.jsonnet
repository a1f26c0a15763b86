// Every rendered file of the mixin, keyed by its path in the repository, as data:
// scripts/render-mixin.py writes `yaml` entries as YAML and `json` entries as JSON. It runs
// this twice: single cluster (the default _config) into alerts/, dashboards/ and deploy/, and
// with showMultiCluster into mixin/out-multicluster/. `overrides` is merged into _config
// (the end-to-end tests shorten `for` durations and intervals with it), field by field.
function(multicluster=false, overrides={}, out=null)
  local base = import 'mixin.libsonnet';
  // Merged field by field (std.mergePatch): { alertFor: { BatchwatchDown: '1m' } } changes one.
  local mixin = base + {
    _config:: std.mergePatch(base._config, { showMultiCluster: multicluster } + overrides),
  };
  local groups = mixin.prometheusRules.groups + mixin.prometheusAlerts.groups;
  local prefix = if out != null then out else if multicluster then 'mixin/out-multicluster/' else '';
  local dashDir = if multicluster || out != null then prefix + 'dashboards/' else 'dashboards/';
  {
    [(if multicluster || out != null then prefix else 'alerts/') + 'batchwatch.rules.yml']: {
      format: 'yaml',
      comment: 'Plain Prometheus rule file: SLO recording rules, then the alerts.',
      data: { groups: groups },
    },
    [(if multicluster || out != null then prefix else 'deploy/') + 'prometheusrule.yaml']: {
      format: 'yaml',
      comment: 'The same rules as a Prometheus Operator PrometheusRule (docs/alerts.md).',
      document_start: true,
      data: {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: {
          name: 'batchwatch',
          labels: {
            'app.kubernetes.io/name': 'batchwatch',
            'app.kubernetes.io/component': 'alerting-rules',
          } + mixin._config.prometheusRuleLabels,
        },
        spec: { groups: groups },
      },
    },
  } + {
    [dashDir + name]: { format: 'json', data: mixin.grafanaDashboards[name] }
    for name in std.objectFields(mixin.grafanaDashboards)
  }
