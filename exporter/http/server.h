// The exporter's HTTP front door: /metrics (text format 0.0.4, gzip when asked), /healthz,
// /readyz and a landing page, served by civetweb. Optionally locked down by a web config file
// (TLS, client certificates, basic auth); always bounded so that slow or hostile clients cannot
// take every thread: request deadlines, a header size limit and a cap on concurrent renders.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http/basic_auth.h"
#include "http/web_config.h"
#include "metrics/exposition.h"

struct mg_context;
struct mg_connection;

namespace batchwatch::http {

// A request for a path the server does not serve itself (anything but /metrics, /healthz and
// /readyz), handed to Handlers::pages. `path` is URL-decoded (civetweb's local_uri); `query` is
// the raw query string.
struct Request {
  std::string method;  // GET or HEAD
  std::string path;
  std::string query;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // sent after the web config's
};

struct Handlers {
  // Appends the full exposition to *out, as shared pieces (metrics/exposition.h). Called
  // concurrently from server threads.
  std::function<void(metrics::Exposition* out)> metrics;
  // Names of what is not synced yet ("jobs", "cronjobs"); empty when ready.
  std::function<std::vector<std::string>()> unsynced;
  // Every other path (the status pages and the JSON API of exporter/web). Called concurrently.
  // Unset: `/` is a static landing page and other paths are 404.
  std::function<void(const Request&, Response*)> pages;
};

struct ServerOptions {
  std::string listen_address = ":9981";  // HOST:PORT, :PORT or [IPv6]:PORT; port 0 picks one
  // Connections served at once; a connection holds its thread until it is closed.
  int threads = 8;
  // Deadline for reading a request (headers included) and for each write of the response: a
  // client that sends or reads slowly loses its connection instead of keeping a thread.
  int request_timeout_ms = 10000;
  // How long an idle keep-alive connection may keep its thread waiting for the next request.
  int keep_alive_timeout_ms = 5000;
  // Larger request heads (request line + headers) are refused.
  int max_request_header_bytes = 8192;
  // /metrics renders at once; a scrape beyond that waits up to scrape_wait_ms, then gets 503.
  int max_concurrent_scrapes = 2;
  int scrape_wait_ms = 5000;
  // exporter-toolkit web config file (TLS, client certificates, basic auth), read by Start().
  // Empty: `web` is used as is (default: plain HTTP, no authentication).
  std::string web_config_file;
  WebConfig web;
};

// Splits HOST:PORT into civetweb's listening_ports syntax. false + *error when malformed.
bool ToCivetwebListen(const std::string& address, std::string* out, std::string* error);

// Compresses `in` as a gzip member (RFC 1952).
std::string Gzip(const std::string& in, int level = 1);
// True when an Accept-Encoding header value allows gzip.
bool AcceptsGzip(const char* accept_encoding);

class Server {
 public:
  Server() = default;
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving. false + *error (e.g. the port is in use) on failure.
  bool Start(const ServerOptions& options, Handlers handlers, std::string* error);
  void Stop();
  // The bound port (useful with port 0).
  int port() const { return port_; }
  // Whether a /metrics scrape asked for gzip in the last `seconds` (steady clock).
  bool GzipScrapedWithin(double seconds) const;
  bool tls() const { return web_.tls; }

 private:
  static int HandleRequest(::mg_connection* conn, void* self);
  static int InitTls(void* ssl_ctx, void* self);
  int Dispatch(::mg_connection* conn);
  void Send(::mg_connection* conn, int status, const char* content_type, const std::string& body,
            const char* content_encoding = nullptr);
  void ServeMetrics(::mg_connection* conn);
  bool AcquireScrapeSlot();
  void ReleaseScrapeSlot();

  mg_context* ctx_ = nullptr;
  Handlers handlers_;
  int port_ = 0;
  std::string wake_host_;
  WebConfig web_;
  std::unique_ptr<BasicAuthenticator> auth_;
  std::string tls_error_;  // set by InitTls when civetweb's context cannot be configured
  int max_scrapes_ = 2;
  int scrape_wait_ms_ = 5000;
  std::mutex scrape_mu_;
  std::condition_variable scrape_cv_;
  int active_scrapes_ = 0;
  std::atomic<int64_t> last_gzip_scrape_ms_{-1};  // steady clock; -1: never
};

}  // namespace batchwatch::http
