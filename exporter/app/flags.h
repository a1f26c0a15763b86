// Command-line flags of `batchwatch` (the exporter). One table describes every flag; --help is
// generated from it, so the two cannot drift apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace batchwatch::app {

struct Flags {
  // Connection to the API server.
  std::string apiserver;
  std::string kubeconfig;
  std::string context;
  std::string token_file;
  std::string ca_file;
  bool insecure_skip_tls_verify = false;
  // What to watch.
  std::vector<std::string> namespaces;
  std::vector<std::string> exclude_namespaces;
  bool watch_pods = true;
  bool watch_events = true;
  std::string job_group_label = "app.kubernetes.io/name";
  std::string controller_time_zone = "UTC";
  std::string job_gauges = "unfinished";
  // Sharding (docs/scaling.md): this instance counts only the CronJobs and job groups whose
  // hash modulo total_shards is shard. shard is -1 until given; ParseFlags resolves it (from
  // --shard-from-pod-name when set) to 0..total_shards-1.
  int shard = -1;
  int total_shards = 1;
  std::string shard_from_pod_name;
  // Serving and state.
  std::string listen_address = ":9981";
  std::string web_config_file;
  std::string state_file;
  int state_save_interval_seconds = 60;
  // The slot ledger (docs/api.md) and the status pages.
  int ledger_slots = 200;
  int ledger_runs = 200;
  std::string ledger_max_age = "14d";
  int64_t ledger_max_age_seconds = 14 * 86400;  // ledger_max_age, resolved by ParseFlags
  std::string external_url;
  // Logging.
  std::string log_level = "info";
  std::string log_format = "text";

  bool help = false;
  bool version = false;
};

enum class ParseResult { kOk, kHelp, kVersion, kError };

// Parses argv[1..]. Accepts `--flag value` and `--flag=value`. On kError, *error names the
// offending flag.
ParseResult ParseFlags(int argc, char** argv, Flags* flags, std::string* error);

std::string HelpText();

}  // namespace batchwatch::app
