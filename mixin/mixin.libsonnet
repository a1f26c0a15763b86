// batchwatch monitoring mixin: alerts, recording rules and Grafana dashboards for batchwatch's
// metrics (docs/metrics.md), configured through _config (config.libsonnet).
(import 'config.libsonnet')
+ (import 'alerts.libsonnet')
+ (import 'rules.libsonnet')
+ (import 'dashboards.libsonnet')
