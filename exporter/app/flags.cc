#include "app/flags.h"

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string_view>

#include "batch/shard.h"

namespace batchwatch::app {
namespace {

enum class Kind { kString, kList, kBool, kInt, kIndex };

struct FlagSpec {
  const char* name;
  const char* arg;  // placeholder in --help
  Kind kind;
  const char* help;
  std::function<void*(Flags*)> field;
};

std::vector<std::string> SplitList(const std::string& v) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(v);
  while (std::getline(in, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

const std::vector<FlagSpec>& Specs() {
  static const std::vector<FlagSpec> specs = {
      {"apiserver", "URL", Kind::kString,
       "Kubernetes API server URL (https://host:port, or http:// for local testing). Default: "
       "in-cluster config, else --kubeconfig / $KUBECONFIG / ~/.kube/config.",
       [](Flags* f) -> void* { return &f->apiserver; }},
      {"kubeconfig", "PATH", Kind::kString,
       "kubeconfig file (default $KUBECONFIG, then ~/.kube/config when not in a cluster).",
       [](Flags* f) -> void* { return &f->kubeconfig; }},
      {"context", "NAME", Kind::kString, "kubeconfig context (default: current-context).",
       [](Flags* f) -> void* { return &f->context; }},
      {"token-file", "PATH", Kind::kString,
       "bearer token file for --apiserver (re-read every minute and after a 401).",
       [](Flags* f) -> void* { return &f->token_file; }},
      {"ca-file", "PATH", Kind::kString, "CA bundle (PEM) that signs the API server's certificate.",
       [](Flags* f) -> void* { return &f->ca_file; }},
      {"insecure-skip-tls-verify", "", Kind::kBool,
       "do not verify the API server's certificate (testing only).",
       [](Flags* f) -> void* { return &f->insecure_skip_tls_verify; }},
      {"listen-address", "HOST:PORT", Kind::kString,
       "where to serve /metrics, /healthz, /readyz (default :9981; port 0 picks a free port).",
       [](Flags* f) -> void* { return &f->listen_address; }},
      {"web-config-file", "PATH", Kind::kString,
       "exporter-toolkit web config (YAML): TLS, client certificates, basic auth for every "
       "endpoint; see docs/web.md (default: plain HTTP, no authentication).",
       [](Flags* f) -> void* { return &f->web_config_file; }},
      {"namespaces", "a,b", Kind::kList,
       "watch only these namespaces, one watch each (default: all namespaces).",
       [](Flags* f) -> void* { return &f->namespaces; }},
      {"exclude-namespaces", "a,b", Kind::kList, "ignore Jobs and CronJobs in these namespaces.",
       [](Flags* f) -> void* { return &f->exclude_namespaces; }},
      {"watch-pods", "", Kind::kBool,
       "watch the pods of Jobs (label job-name) for why runs fail and wait (default true; "
       "--watch-pods=false when RBAC does not grant list and watch on pods).",
       [](Flags* f) -> void* { return &f->watch_pods; }},
      {"watch-events", "", Kind::kBool,
       "watch the Events about Jobs and CronJobs for creation failures and the controllers' "
       "word (default true; --watch-events=false when RBAC does not grant list and watch on "
       "events).",
       [](Flags* f) -> void* { return &f->watch_events; }},
      {"controller-time-zone", "ZONE", Kind::kString,
       "IANA zone of kube-controller-manager, used for CronJobs without spec.timeZone or a TZ= "
       "prefix (default UTC).",
       [](Flags* f) -> void* { return &f->controller_time_zone; }},
      {"state-file", "PATH", Kind::kString,
       "persist counters and slot accounting here so restarts neither reset nor double-count "
       "(default: none).",
       [](Flags* f) -> void* { return &f->state_file; }},
      {"state-save-interval", "SECONDS", Kind::kInt,
       "how often the state file is written (default 60; also written on shutdown).",
       [](Flags* f) -> void* { return &f->state_save_interval_seconds; }},
      {"ledger-slots", "N", Kind::kInt,
       "slots kept per CronJob in the slot ledger shown by the status pages and /api/v1/ "
       "(default 200; docs/api.md).",
       [](Flags* f) -> void* { return &f->ledger_slots; }},
      {"ledger-runs", "N", Kind::kInt,
       "runs kept per CronJob and per job group in the slot ledger (default 200).",
       [](Flags* f) -> void* { return &f->ledger_runs; }},
      {"ledger-max-age", "DURATION", Kind::kString,
       "ledger entries older than this are dropped: e.g. 14d, 36h, 90m, 600s (default 14d).",
       [](Flags* f) -> void* { return &f->ledger_max_age; }},
      {"external-url", "URL", Kind::kString,
       "the URL users reach this exporter at (as Prometheus's --web.external-url): exposed in "
       "batchwatch_status_page_info so alerts can link to a CronJob's page (default: none).",
       [](Flags* f) -> void* { return &f->external_url; }},
      {"job-group-label", "KEY", Kind::kString,
       "label that groups standalone Jobs into job_group (default app.kubernetes.io/name; "
       "fallbacks: generateName, then the Job name).",
       [](Flags* f) -> void* { return &f->job_group_label; }},
      {"job-gauges", "MODE", Kind::kString,
       "per-Job gauges (batchwatch_job_*): unfinished (default), all, or none.",
       [](Flags* f) -> void* { return &f->job_gauges; }},
      {"shard", "N", Kind::kIndex,
       "count only shard N (0-based) of --total-shards: a CronJob with all its Jobs, a standalone "
       "Job with its job group, by a stable hash of namespace and name (default 0).",
       [](Flags* f) -> void* { return &f->shard; }},
      {"total-shards", "M", Kind::kInt,
       "number of shards the Jobs and CronJobs are split into; run one batchwatch per shard "
       "(default 1: no sharding; see docs/scaling.md).",
       [](Flags* f) -> void* { return &f->total_shards; }},
      {"shard-from-pod-name", "NAME", Kind::kString,
       "take --shard from the StatefulSet ordinal at the end of this pod name (\"batchwatch-2\" "
       "-> 2; pass $(POD_NAME) from the downward API).",
       [](Flags* f) -> void* { return &f->shard_from_pod_name; }},
      {"log-level", "LEVEL", Kind::kString, "debug, info (default), warn or error.",
       [](Flags* f) -> void* { return &f->log_level; }},
      {"log-format", "FORMAT", Kind::kString, "text (logfmt, default) or json.",
       [](Flags* f) -> void* { return &f->log_format; }},
      {"help", "", Kind::kBool, "print this help and exit.",
       [](Flags* f) -> void* { return &f->help; }},
      {"version", "", Kind::kBool, "print version and git revision and exit.",
       [](Flags* f) -> void* { return &f->version; }},
  };
  return specs;
}

// "14d", "36h", "90m", "600s" or plain seconds; at least 1 s and at most 400 days.
bool ParseDuration(const std::string& v, int64_t* seconds) {
  if (v.empty() || v.size() > 12) return false;
  int64_t unit = 1;
  std::string digits = v;
  switch (v.back()) {
    case 'd':
      unit = 86400;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'm':
      unit = 60;
      break;
    case 's':
      break;
    default:
      digits += ' ';  // no unit: seconds
  }
  digits.pop_back();
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  int64_t n = std::strtoll(digits.c_str(), nullptr, 10) * unit;
  if (n < 1 || n > 400 * 86400) return false;
  *seconds = n;
  return true;
}

bool ParseBool(const std::string& v, bool* out) {
  if (v == "true" || v == "1" || v == "yes")
    *out = true;
  else if (v == "false" || v == "0" || v == "no")
    *out = false;
  else
    return false;
  return true;
}

}  // namespace

ParseResult ParseFlags(int argc, char** argv, Flags* flags, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      *error = "unexpected argument \"" + std::string(arg) + "\" (flags start with --; see --help)";
      return ParseResult::kError;
    }
    std::string name(arg.substr(2));
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const auto& s : Specs()) {
      if (name == s.name) spec = &s;
    }
    if (spec == nullptr) {
      *error = "unknown flag --" + name + " (see --help)";
      return ParseResult::kError;
    }
    void* field = spec->field(flags);
    if (spec->kind == Kind::kBool) {
      bool b = true;
      if (has_value && !ParseBool(value, &b)) {
        *error = "flag --" + name + ": \"" + value + "\" is not true or false";
        return ParseResult::kError;
      }
      *static_cast<bool*>(field) = b;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "flag --" + name + " needs a value (" + spec->arg + ")";
        return ParseResult::kError;
      }
      value = argv[++i];
    }
    switch (spec->kind) {
      case Kind::kString:
        *static_cast<std::string*>(field) = value;
        break;
      case Kind::kList:
        *static_cast<std::vector<std::string>*>(field) = SplitList(value);
        break;
      case Kind::kInt: {
        char* end = nullptr;
        long n = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || n <= 0 || n > 86400) {
          *error = "flag --" + name + ": \"" + value + "\" is not a whole number from 1 to 86400";
          return ParseResult::kError;
        }
        *static_cast<int*>(field) = static_cast<int>(n);
        break;
      }
      case Kind::kIndex: {
        char* end = nullptr;
        long n = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || n < 0 || n > 86400) {
          *error = "flag --" + name + ": \"" + value + "\" is not a whole number from 0 to 86400";
          return ParseResult::kError;
        }
        *static_cast<int*>(field) = static_cast<int>(n);
        break;
      }
      case Kind::kBool:
        break;
    }
  }
  if (flags->help) return ParseResult::kHelp;
  if (flags->version) return ParseResult::kVersion;
  if (flags->log_level != "debug" && flags->log_level != "info" && flags->log_level != "warn" &&
      flags->log_level != "error") {
    *error = "flag --log-level: \"" + flags->log_level + "\" is not debug, info, warn or error";
    return ParseResult::kError;
  }
  if (flags->log_format != "text" && flags->log_format != "json") {
    *error = "flag --log-format: \"" + flags->log_format + "\" is not text or json";
    return ParseResult::kError;
  }
  if (flags->job_gauges != "unfinished" && flags->job_gauges != "all" &&
      flags->job_gauges != "none") {
    *error = "flag --job-gauges: \"" + flags->job_gauges + "\" is not unfinished, all or none";
    return ParseResult::kError;
  }
  if (!flags->shard_from_pod_name.empty()) {
    if (flags->shard >= 0) {
      *error = "flags --shard and --shard-from-pod-name: give only one";
      return ParseResult::kError;
    }
    uint32_t ordinal = 0;
    if (!batch::ParsePodOrdinal(flags->shard_from_pod_name, &ordinal)) {
      *error = "flag --shard-from-pod-name: \"" + flags->shard_from_pod_name +
               "\" does not end in -<ordinal> (as StatefulSet pods do, e.g. batchwatch-0)";
      return ParseResult::kError;
    }
    flags->shard = static_cast<int>(ordinal);
  }
  if (flags->shard < 0) flags->shard = 0;
  if (flags->shard >= flags->total_shards) {
    *error = "flag --shard: " + std::to_string(flags->shard) + " is not below --total-shards " +
             std::to_string(flags->total_shards) + " (shards are numbered from 0)";
    return ParseResult::kError;
  }
  if (!ParseDuration(flags->ledger_max_age, &flags->ledger_max_age_seconds)) {
    *error = "flag --ledger-max-age: \"" + flags->ledger_max_age +
             "\" is not a duration from 1s to 400d (e.g. 14d, 36h, 90m, 600s)";
    return ParseResult::kError;
  }
  if (!flags->external_url.empty() && flags->external_url.rfind("http://", 0) != 0 &&
      flags->external_url.rfind("https://", 0) != 0) {
    *error =
        "flag --external-url: \"" + flags->external_url + "\" must start with http:// or https://";
    return ParseResult::kError;
  }
  if (flags->job_group_label.empty()) {
    *error = "flag --job-group-label: must not be empty";
    return ParseResult::kError;
  }
  return ParseResult::kOk;
}

std::string HelpText() {
  std::ostringstream out;
  out << "batchwatch: Prometheus exporter for Kubernetes Jobs and CronJobs.\n\n"
         "Usage:\n"
         "  batchwatch [flags]                 watch the cluster and serve /metrics\n"
         "  batchwatch schedule SPEC [flags]   print a schedule's next slots (see "
         "`batchwatch schedule --help`)\n\n"
         "Flags (--flag value or --flag=value):\n";
  for (const auto& s : Specs()) {
    std::string left = std::string("  --") + s.name;
    if (s.arg[0] != '\0') left += std::string(" ") + s.arg;
    out << left;
    if (left.size() < 36)
      out << std::string(36 - left.size(), ' ');
    else
      out << "\n" << std::string(36, ' ');
    out << s.help << "\n";
  }
  out << "\nEndpoints: / (landing page), /metrics, /healthz, /readyz.\n"
         "Exit codes: 0 clean shutdown (SIGTERM/SIGINT), 1 runtime or startup error, 2 bad "
         "flags.\n";
  return out.str();
}

}  // namespace batchwatch::app
