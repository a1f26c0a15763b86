#include "http/server.h"

#include <civetweb.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "http/openssl3_compat.h"
#include "http/tls_context.h"
#include "log/log.h"

namespace batchwatch::http {
namespace {

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

constexpr char kLandingPage[] = R"(<!DOCTYPE html>
<html>
<head><title>batchwatch</title></head>
<body>
<h1>batchwatch</h1>
<p>Prometheus exporter for Kubernetes Jobs and CronJobs.</p>
<ul>
<li><a href="metrics">/metrics</a>: the metrics</li>
<li><a href="healthz">/healthz</a>: liveness</li>
<li><a href="readyz">/readyz</a>: readiness (initial list of every watched resource done)</li>
</ul>
<p>Documentation: README.md and docs/ in the batchwatch source (docs/metrics.md lists every metric).</p>
</body>
</html>
)";

using HeaderList = std::vector<std::pair<std::string, std::string>>;

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool IsHead(mg_connection* conn) {
  const char* method = mg_get_request_info(conn)->request_method;
  return method != nullptr && std::strcmp(method, "HEAD") == 0;
}

void SendHeaders(mg_connection* conn, int status, const char* content_type, size_t length,
                 const HeaderList& extra_headers, const char* content_encoding) {
  mg_response_header_start(conn, status);
  mg_response_header_add(conn, "Content-Type", content_type, -1);
  for (const auto& [name, value] : extra_headers) {
    mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  }
  if (content_encoding != nullptr) {
    mg_response_header_add(conn, "Content-Encoding", content_encoding, -1);
    mg_response_header_add(conn, "Vary", "Accept-Encoding", -1);
  }
  const std::string content_length = std::to_string(length);
  mg_response_header_add(conn, "Content-Length", content_length.c_str(), -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  mg_response_header_send(conn);
}

void SendResponse(mg_connection* conn, int status, const char* content_type,
                  const std::string& body, const HeaderList& extra_headers,
                  const char* content_encoding = nullptr) {
  SendHeaders(conn, status, content_type, body.size(), extra_headers, content_encoding);
  if (IsHead(conn)) return;
  size_t sent = 0;
  while (sent < body.size()) {
    int n = mg_write(conn, body.data() + sent, body.size() - sent);
    if (n <= 0) return;  // client went away
    sent += static_cast<size_t>(n);
  }
}

int LogFromCivetweb(const mg_connection*, const char* message) {
  BW_LOG_DEBUG("http server", {{"detail", message}});
  return 1;
}

std::mutex g_civetweb_init_mu;
bool g_civetweb_initialized = false;
bool g_civetweb_tls = false;

// mg_init_library is not thread-safe and loads OpenSSL (libssl.so, at run time) only when TLS
// is asked for, so plain HTTP keeps working where OpenSSL is absent.
bool InitCivetweb(bool tls, std::string* error) {
  std::lock_guard<std::mutex> lock(g_civetweb_init_mu);
  if (!g_civetweb_initialized) {
    mg_init_library(0);
    g_civetweb_initialized = true;
  }
  if (tls && !g_civetweb_tls) {
    // civetweb 1.15 returns 0 from the call that loads OpenSSL even when loading worked; a
    // second call reports the real state (and retries the load when it failed).
    std::string why;
    if (!RouteCivetwebOpenSslLookups(&why)) {
      *error = "TLS is not available: cannot adapt civetweb to OpenSSL 3: " + why;
      return false;
    }
    mg_init_library(MG_FEATURES_TLS);
    if ((mg_init_library(MG_FEATURES_TLS) & MG_FEATURES_TLS) == 0) {
      *error =
          "TLS is not available: civetweb could not load OpenSSL (libssl.so and "
          "libcrypto.so must be loadable)";
      return false;
    }
    g_civetweb_tls = true;
  }
  return true;
}

void WakeListener(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return;
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    (void)connect(fd, res->ai_addr, res->ai_addrlen);
    close(fd);
  }
  freeaddrinfo(res);
}

// Writes `parts` as one response body through a staging buffer: a /metrics body is thousands of
// pieces of a few KiB, and a send() each would cost more than the copy.
class BodyWriter {
 public:
  explicit BodyWriter(mg_connection* conn) : conn_(conn) { buffer_.reserve(kSize); }
  ~BodyWriter() { Flush(); }
  void Write(std::string_view part) {
    while (ok_ && !part.empty()) {
      const size_t n = std::min(part.size(), kSize - buffer_.size());
      buffer_.append(part.data(), n);
      part.remove_prefix(n);
      if (buffer_.size() == kSize) Flush();
    }
  }

 private:
  static constexpr size_t kSize = 256 << 10;
  void Flush() {
    size_t sent = 0;
    while (ok_ && sent < buffer_.size()) {
      int n = mg_write(conn_, buffer_.data() + sent, buffer_.size() - sent);
      if (n <= 0)
        ok_ = false;  // client went away
      else
        sent += static_cast<size_t>(n);
    }
    buffer_.clear();
  }
  mg_connection* conn_;
  std::string buffer_;
  bool ok_ = true;
};

}  // namespace

bool ToCivetwebListen(const std::string& address, std::string* out, std::string* error) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    *error = "listen address \"" + address + "\" must be HOST:PORT, :PORT or [IPv6]:PORT";
    return false;
  }
  std::string host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    *error = "listen address \"" + address + "\": port must be a number from 0 to 65535";
    return false;
  }
  if (host.empty() || host == "0.0.0.0") {
    *out = "0.0.0.0:" + port;
  } else if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) {
      *error = "listen address \"" + address + "\": unterminated IPv6 address";
      return false;
    }
    *out = host + ":" + port;
  } else if (host == "localhost") {
    *out = "127.0.0.1:" + port;
  } else if (host.find(':') != std::string::npos) {
    *error = "listen address \"" + address + "\": put IPv6 addresses in brackets, e.g. [::1]:9981";
    return false;
  } else {
    *out = host + ":" + port;
  }
  return true;
}

bool AcceptsGzip(const char* accept_encoding) {
  if (accept_encoding == nullptr) return false;
  std::string v(accept_encoding);
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t pos = 0;
  while ((pos = v.find("gzip", pos)) != std::string::npos) {
    size_t end = v.find(',', pos);
    std::string item = v.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    // "gzip;q=0" refuses gzip.
    auto q = item.find("q=");
    if (q == std::string::npos) return true;
    double weight = std::atof(item.c_str() + q + 2);
    if (weight > 0) return true;
    pos += 4;
  }
  return false;
}

std::string Gzip(const std::string& in, int level) {
  z_stream zs{};
  // windowBits 15 + 16 asks zlib for a gzip wrapper.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  // Exposition text compresses 10-20x: start at a quarter of the input and grow if needed,
  // rather than zero-filling deflateBound (more than the input: 30 MB at 100k Jobs).
  std::string out(in.size() / 4 + 4096, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK || rc == Z_BUF_ERROR) {
    if (zs.total_out == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + zs.total_out);
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = deflate(&zs, Z_FINISH);
    if (rc == Z_BUF_ERROR && zs.avail_out != 0) break;  // no progress possible
  }
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return {};
  return out;
}

Server::~Server() { Stop(); }

bool Server::Start(const ServerOptions& options, Handlers handlers, std::string* error) {
  handlers_ = std::move(handlers);
  web_ = options.web;
  if (!options.web_config_file.empty()) {
    if (!LoadWebConfigFile(options.web_config_file, &web_, error)) {
      *error = "web config " + *error;
      return false;
    }
  }
  if (web_.tls && !CheckTlsConfig(web_.tls_config, error)) {
    *error = (options.web_config_file.empty() ? std::string("web config")
                                              : "web config " + options.web_config_file) +
             ": " + *error;
    return false;
  }
  auth_ = std::make_unique<BasicAuthenticator>(web_.basic_auth_users);
  max_scrapes_ = options.max_concurrent_scrapes > 0 ? options.max_concurrent_scrapes : 1;
  scrape_wait_ms_ = options.scrape_wait_ms >= 0 ? options.scrape_wait_ms : 0;
  if (!InitCivetweb(web_.tls, error)) return false;

  std::string listen;
  if (!ToCivetwebListen(options.listen_address, &listen, error)) return false;
  std::string civet_listen = listen + (web_.tls ? "s" : "");
  std::string threads = std::to_string(options.threads > 0 ? options.threads : 1);
  std::string timeout = std::to_string(options.request_timeout_ms);
  std::string keep_alive = std::to_string(options.keep_alive_timeout_ms);
  std::string max_header = std::to_string(options.max_request_header_bytes);
  const char* config[] = {"listening_ports",
                          civet_listen.c_str(),
                          "num_threads",
                          threads.c_str(),
                          "request_timeout_ms",
                          timeout.c_str(),
                          "enable_keep_alive",
                          "yes",
                          "keep_alive_timeout_ms",
                          keep_alive.c_str(),
                          "max_request_size",
                          max_header.c_str(),
                          nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = LogFromCivetweb;
  if (web_.tls) callbacks.init_ssl = &Server::InitTls;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = config;
  char text[256] = {0};
  unsigned code = 0;
  mg_error_data err{};
  err.code = &code;
  err.text = text;
  err.text_buffer_size = sizeof text;
  tls_error_.clear();
  ctx_ = mg_start2(&init, &err);
  if (ctx_ == nullptr) {
    std::string why = !tls_error_.empty() ? tls_error_
                      : text[0] != 0      ? std::string(text)
                                          : std::string("unknown error");
    *error = "cannot listen on " + options.listen_address + ": " + why;
    return false;
  }
  mg_set_request_handler(ctx_, "/", &Server::HandleRequest, this);
  mg_server_port ports[4];
  int n = mg_get_server_ports(ctx_, 4, ports);
  port_ = n > 0 ? ports[0].port : 0;
  // Where Stop() connects to wake the listener.
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "[::]") host = "::1";
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  wake_host_ = host;
  BW_LOG_INFO("http server started",
              {{"tls", web_.tls ? "true" : "false"},
               {"client_auth", web_.tls ? ClientAuthName(web_.tls_config.client_auth) : "none"},
               {"basic_auth_users", std::to_string(web_.basic_auth_users.size())},
               {"threads", threads},
               {"max_concurrent_scrapes", std::to_string(max_scrapes_)}});
  return true;
}

int Server::InitTls(void* ssl_ctx, void* self) {
  auto* server = static_cast<Server*>(self);
  std::string error;
  if (!ConfigureTlsContext(ssl_ctx, server->web_.tls_config, &error)) {
    server->tls_error_ = error;
    return -1;
  }
  return 1;  // civetweb must not load certificates of its own
}

void Server::Stop() {
  if (ctx_ == nullptr) return;
  // civetweb's listener polls with a 2 s quantum before it looks at the stop flag; a connection
  // to ourselves wakes it at once, so shutdown stays well under the 2 s budget.
  std::atomic<bool> stopped{false};
  std::thread stopper([this, &stopped] {
    mg_stop(ctx_);
    stopped = true;
  });
  while (!stopped) {
    WakeListener(wake_host_, port_);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stopper.join();
  ctx_ = nullptr;
}

int Server::HandleRequest(mg_connection* conn, void* self) {
  return static_cast<Server*>(self)->Dispatch(conn);
}

void Server::Send(mg_connection* conn, int status, const char* content_type,
                  const std::string& body, const char* content_encoding) {
  SendResponse(conn, status, content_type, body, web_.headers, content_encoding);
}

bool Server::AcquireScrapeSlot() {
  std::unique_lock<std::mutex> lock(scrape_mu_);
  if (!scrape_cv_.wait_for(lock, std::chrono::milliseconds(scrape_wait_ms_),
                           [this] { return active_scrapes_ < max_scrapes_; })) {
    return false;
  }
  ++active_scrapes_;
  return true;
}

void Server::ReleaseScrapeSlot() {
  {
    std::lock_guard<std::mutex> lock(scrape_mu_);
    --active_scrapes_;
  }
  scrape_cv_.notify_one();
}

void Server::ServeMetrics(mg_connection* conn) {
  if (!AcquireScrapeSlot()) {
    BW_LOG_WARN("scrape refused: too many concurrent scrapes",
                {{"max_concurrent_scrapes", std::to_string(max_scrapes_)}});
    Send(conn, 503, "text/plain; charset=utf-8", "too many concurrent scrapes; retry later\n");
    return;
  }
  metrics::Exposition body;
  handlers_.metrics(&body);
  std::optional<metrics::Exposition::GzipFrame> gz;
  // Compresses the pieces that changed since the last gzip scrape; the others keep theirs.
  if (AcceptsGzip(mg_get_header(conn, "Accept-Encoding"))) {
    last_gzip_scrape_ms_.store(SteadyMillis(), std::memory_order_relaxed);
    gz = body.Gzip();
  }
  // Sending can be slow (a slow reader); the slot bounds compressing CPU only. The pieces stay
  // referenced until the body is sent; the tracker copies a piece it changes meanwhile.
  ReleaseScrapeSlot();
  SendHeaders(conn, 200, kMetricsContentType, gz ? gz->size : body.size(), web_.headers,
              gz ? "gzip" : nullptr);
  if (IsHead(conn)) return;
  BodyWriter writer(conn);
  if (gz) writer.Write(gz->head);
  for (const auto& piece : body.pieces()) {
    writer.Write(gz ? std::string_view(piece->deflated().bytes) : std::string_view(piece->text()));
  }
  if (gz) writer.Write(gz->tail);
}

bool Server::GzipScrapedWithin(double seconds) const {
  const int64_t last = last_gzip_scrape_ms_.load(std::memory_order_relaxed);
  return last >= 0 && static_cast<double>(SteadyMillis() - last) <= seconds * 1000;
}

int Server::Dispatch(mg_connection* conn) {
  const mg_request_info* req = mg_get_request_info(conn);
  // Like exporter-toolkit, basic auth guards every endpoint, probes included.
  if (!auth_->Allows(mg_get_header(conn, "Authorization"))) {
    mg_response_header_start(conn, 401);
    mg_response_header_add(conn, "WWW-Authenticate", "Basic realm=\"batchwatch\"", -1);
    mg_response_header_add(conn, "Content-Type", "text/plain; charset=utf-8", -1);
    for (const auto& [name, value] : web_.headers) {
      mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    }
    static const char kBody[] = "unauthorized\n";
    mg_response_header_add(conn, "Content-Length", std::to_string(sizeof kBody - 1).c_str(), -1);
    mg_response_header_send(conn);
    if (req->request_method == nullptr || std::strcmp(req->request_method, "HEAD") != 0) {
      mg_write(conn, kBody, sizeof kBody - 1);
    }
    return 401;
  }
  std::string uri = req->local_uri != nullptr ? req->local_uri : "/";
  std::string method = req->request_method != nullptr ? req->request_method : "GET";
  if (method != "GET" && method != "HEAD") {
    Send(conn, 405, "text/plain; charset=utf-8", "method not allowed\n");
    return 405;
  }
  if (uri == "/metrics") {
    ServeMetrics(conn);
    return 200;
  }
  if (uri == "/healthz") {
    Send(conn, 200, "text/plain; charset=utf-8", "ok\n");
    return 200;
  }
  if (uri == "/readyz") {
    std::vector<std::string> missing = handlers_.unsynced();
    if (missing.empty()) {
      Send(conn, 200, "text/plain; charset=utf-8", "ok\n");
      return 200;
    }
    std::string body = "not ready: initial list not complete for:";
    for (const auto& m : missing) body += " " + m;
    body += "\n";
    Send(conn, 503, "text/plain; charset=utf-8", body);
    return 503;
  }
  if (handlers_.pages) {
    Request request{method, uri, req->query_string != nullptr ? req->query_string : ""};
    Response response;
    handlers_.pages(request, &response);
    HeaderList headers = web_.headers;
    headers.insert(headers.end(), response.headers.begin(), response.headers.end());
    std::string gz;
    if (response.body.size() > 4096 && AcceptsGzip(mg_get_header(conn, "Accept-Encoding"))) {
      gz = Gzip(response.body);
    }
    if (!gz.empty()) {
      SendResponse(conn, response.status, response.content_type.c_str(), gz, headers, "gzip");
    } else {
      SendResponse(conn, response.status, response.content_type.c_str(), response.body, headers);
    }
    return response.status;
  }
  if (uri == "/") {
    Send(conn, 200, "text/html; charset=utf-8", kLandingPage);
    return 200;
  }
  Send(conn, 404, "text/plain; charset=utf-8", "not found; see / for the endpoints\n");
  return 404;
}

}  // namespace batchwatch::http
