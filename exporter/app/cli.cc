#include "app/cli.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "app/flags.h"
#include "app/schedule_command.h"
#include "app/self_metrics.h"
#include "batch/shard.h"
#include "batch/wall_clock.h"
#include "batchwatch/version.h"
#include "cron/controller.h"
#include "cron/explain.h"
#include "http/server.h"
#include "kube/cluster_watcher.h"
#include "kube/connection.h"
#include "log/log.h"
#include "metrics/exposition.h"
#include "tracker/tracker.h"
#include "web/web.h"

namespace batchwatch::app {
namespace {

// The state file is written as a temp file next to it and renamed: that needs a directory this
// process can create files in. Checked once at startup so that a bad --state-file fails now,
// not with an error every interval.
bool CheckStateDirectoryWritable(const std::string& path, std::string* error) {
  size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const std::string probe = path + ".probe-" + std::to_string(::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error =
        "cannot create files in the state file's directory " + dir + ": " + std::strerror(errno);
    return false;
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

// Saves the state and keeps the two self metrics of saving (rendered by AppendSelfMetrics).
class StateSaver {
 public:
  StateSaver(const tracker::Tracker& tracker, std::string path)
      : tracker_(tracker), path_(std::move(path)) {
    stats_.enabled = !path_.empty();
  }

  void Save() {
    if (path_.empty()) return;
    std::string error;
    if (!tracker_.SaveState(path_, &error)) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      BW_LOG_ERROR("cannot write state file", {{"path", path_}, {"err", error}});
      return;
    }
    stats_.last_save.store(batch::WallClockSeconds(), std::memory_order_relaxed);
  }
  const StateSaveStats& stats() const { return stats_; }

 private:
  const tracker::Tracker& tracker_;
  const std::string path_;
  StateSaveStats stats_;
};

}  // namespace

int Main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "schedule") == 0) {
    return RunScheduleCommand(argc - 1, argv + 1, std::cout, std::cerr);
  }

  Flags flags;
  std::string error;
  switch (ParseFlags(argc, argv, &flags, &error)) {
    case ParseResult::kHelp:
      std::cout << HelpText();
      return 0;
    case ParseResult::kVersion:
      std::cout << "batchwatch " << kVersion << " (revision " << kRevision << ")\n";
      return 0;
    case ParseResult::kError:
      std::cerr << "batchwatch: " << error << "\n";
      return 2;
    case ParseResult::kOk:
      break;
  }
  log::Level level;
  log::Format format;
  log::ParseLevel(flags.log_level, &level);
  log::ParseFormat(flags.log_format, &format);
  log::SetLevel(level);
  log::SetFormat(format);

  if (!cron::CheckControllerTimeZone(flags.controller_time_zone, &error)) {
    std::cerr << "batchwatch: flag --controller-time-zone: " << error << "\n";
    return 2;
  }
  if (!flags.apiserver.empty() && !kube::CheckApiServerUrl(flags.apiserver, &error)) {
    std::cerr << "batchwatch: flag --apiserver: " << error << "\n";
    return 2;
  }
  {
    std::string listen_check;
    if (!http::ToCivetwebListen(flags.listen_address, &listen_check, &error)) {
      std::cerr << "batchwatch: flag --listen-address: " << error << "\n";
      return 2;
    }
  }

  // SIGTERM and SIGINT are taken synchronously by the main loop: block them before any thread
  // starts so that every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  kube::ConnectionFlags conn_flags;
  conn_flags.apiserver = flags.apiserver;
  conn_flags.kubeconfig = flags.kubeconfig;
  conn_flags.context = flags.context;
  conn_flags.token_file = flags.token_file;
  conn_flags.ca_file = flags.ca_file;
  conn_flags.insecure_skip_tls_verify = flags.insecure_skip_tls_verify;
  kube::Connection connection;
  if (!kube::ResolveConnection(conn_flags, &connection, &error)) {
    BW_LOG_ERROR("cannot configure the API connection", {{"err", error}});
    return 1;
  }

  tracker::TrackerOptions tracker_options;
  tracker_options.controller_time_zone = flags.controller_time_zone;
  tracker_options.job_gauges = flags.job_gauges == "all"    ? tracker::JobGauges::kAll
                               : flags.job_gauges == "none" ? tracker::JobGauges::kNone
                                                            : tracker::JobGauges::kUnfinished;
  tracker_options.clock = batch::WallClockSeconds;
  tracker_options.ledger.max_slots = static_cast<size_t>(flags.ledger_slots);
  tracker_options.ledger.max_runs = static_cast<size_t>(flags.ledger_runs);
  tracker_options.ledger.max_age_seconds = flags.ledger_max_age_seconds;
  tracker::Tracker tracker(tracker_options);
  if (!flags.state_file.empty()) {
    if (!CheckStateDirectoryWritable(flags.state_file, &error)) {
      BW_LOG_ERROR("cannot use the state file", {{"path", flags.state_file}, {"err", error}});
      return 1;
    }
    std::string message;
    if (!tracker.LoadState(flags.state_file, &message)) {
      BW_LOG_WARN("state file not used; starting fresh",
                  {{"path", flags.state_file}, {"why", message}});
    } else if (!message.empty()) {
      BW_LOG_INFO("state file", {{"path", flags.state_file}, {"detail", message}});
    }
  }

  // Between the watch and the tracker: with one shard it forwards everything.
  batch::ShardFilter shard_filter(batch::ShardSpec{static_cast<uint32_t>(flags.shard),
                                                   static_cast<uint32_t>(flags.total_shards)},
                                  &tracker);
  StateSaver state_saver(tracker, flags.state_file);

  kube::WatchOptions watch_options;
  watch_options.namespaces = flags.namespaces;
  watch_options.exclude_namespaces = flags.exclude_namespaces;
  watch_options.job_group_label = flags.job_group_label;
  watch_options.watch_pods = flags.watch_pods;
  watch_options.watch_events = flags.watch_events;
  kube::ClusterWatcher watcher(connection, watch_options, &shard_filter);

  http::Handlers handlers;
  const InstanceInfo instance{kVersion, kRevision, flags.shard, flags.total_shards,
                              flags.external_url};
  handlers.metrics = [&tracker, &watcher, &instance, &state_saver](metrics::Exposition* out) {
    // The exporter's own few series first, then the tracker's pieces.
    std::string self;
    AppendSelfMetrics(watcher, instance, state_saver.stats(), &self);
    out->Add(std::move(self));
    tracker.AppendMetrics(out);
  };
  handlers.unsynced = [&watcher]() { return watcher.Unsynced(); };
  web::SiteOptions site_options;
  site_options.external_url = flags.external_url;
  site_options.explain_schedule = cron::ExplainSchedule;
  const web::Site site(&tracker, site_options);
  handlers.pages = [&site](const http::Request& request, http::Response* response) {
    site.Handle(request, response);
  };
  http::ServerOptions server_options;
  server_options.listen_address = flags.listen_address;
  server_options.web_config_file = flags.web_config_file;
  http::Server server;
  if (!server.Start(server_options, handlers, &error)) {
    BW_LOG_ERROR("cannot start the HTTP server", {{"err", error}});
    return 1;
  }
  BW_LOG_INFO("listening",
              {{"address", flags.listen_address}, {"port", std::to_string(server.port())}});

  if (!watcher.CheckAccess(&error)) {
    BW_LOG_ERROR("cannot read Jobs and CronJobs from the API server", {{"err", error}});
    server.Stop();
    return 1;
  }
  watcher.Start();
  BW_LOG_INFO("watching", {{"version", kVersion}, {"revision", kRevision}});

  int64_t last_save = batch::WallClockSeconds();
  int64_t last_deflate = last_save;
  for (;;) {
    timespec timeout{1, 0};
    int sig = sigtimedwait(&stop_signals, nullptr, &timeout);
    if (sig == SIGTERM || sig == SIGINT) {
      BW_LOG_INFO("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
    int64_t now = batch::WallClockSeconds();
    tracker.Tick(now);
    // While scrapers ask for gzip (Prometheus does by default), the pieces that changed get
    // their deflate form here every 2 s, outside the tracker's lock, so a scrape under churn
    // compresses only the last 2 s of changes instead of everything since the last scrape.
    // Without gzip scrapes in the last 10 minutes nothing is compressed ahead.
    if (now - last_deflate >= 2 && server.GzipScrapedWithin(600)) {
      metrics::Exposition pieces;
      tracker.AppendMetrics(&pieces);
      pieces.Deflate();
      last_deflate = now;
    }
    if (!flags.state_file.empty() && now - last_save >= flags.state_save_interval_seconds) {
      state_saver.Save();
      last_save = now;
    }
  }
  watcher.Stop();
  state_saver.Save();
  server.Stop();
  return 0;
}

}  // namespace batchwatch::app
