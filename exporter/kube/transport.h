// The seam between the watch loop and HTTP: two calls, list one page and open a watch that
// delivers lines. The real one is libcurl (curl_transport.h); tests script a fake one.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace batchwatch::kube {

struct HttpResponse {
  long status = 0;          // 0: no HTTP answer (see error)
  std::string error;        // transport error (connect, TLS, timeout); never holds a token
  bool tls_error = false;   // the failure was certificate verification
  bool aborted = false;     // stopped, or the receiver returned false
  double retry_after = -1;  // Retry-After header in seconds, when given
  std::string body;         // non-2xx bodies (capped), for Status messages
};

struct WatchResponse : HttpResponse {
  size_t line_cap_exceeded = 0;    // a line exceeded this cap (bytes): the stream was cut
  bool ended_inside_line = false;  // the stream ended with a partial line
};

class Transport {
 public:
  virtual ~Transport() = default;
  // GET one list page; a 2xx body lands in *body, anything else is described by the response.
  virtual HttpResponse ListPage(const std::string& path_and_query, std::string* body) = 0;
  // GET a watch stream; each complete line goes to on_line, which returns false to close the
  // stream. Ends when the server closes, after timeout_seconds, or on Stop.
  virtual WatchResponse Watch(const std::string& path_and_query, double timeout_seconds,
                              const std::function<bool(std::string_view line)>& on_line) = 0;
};

// Percent-encodes a query parameter value (http_client.cc).
std::string UrlEncode(std::string_view s);

}  // namespace batchwatch::kube
