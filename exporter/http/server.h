// The exporter's HTTP front door: /metrics (text format 0.0.4, gzip when asked), /healthz,
// /readyz and a landing page, served by civetweb.
#pragma once

#include <functional>
#include <string>
#include <vector>

struct mg_context;
struct mg_connection;

namespace batchwatch::http {

struct Handlers {
  // Appends the full exposition text to *out. Called concurrently from server threads.
  std::function<void(std::string* out)> metrics;
  // Names of what is not synced yet ("jobs", "cronjobs"); empty when ready.
  std::function<std::vector<std::string>()> unsynced;
};

struct ServerOptions {
  std::string listen_address = ":9981";  // HOST:PORT, :PORT or [IPv6]:PORT; port 0 picks one
  int threads = 4;                       // concurrent requests served at once
  int request_timeout_ms = 10000;
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

 private:
  static int HandleRequest(::mg_connection* conn, void* self);
  int Dispatch(::mg_connection* conn);

  mg_context* ctx_ = nullptr;
  Handlers handlers_;
  int port_ = 0;
  std::string wake_host_;
};

}  // namespace batchwatch::http
