// The watch loop's transport over libcurl: one HttpClient (one kept-alive connection) per loop,
// the stream cut into lines by a LineSplitter, and a 401 invalidating the token so the next
// request reads a rotated one.
#pragma once

#include <atomic>
#include <cstddef>

#include "kube/connection.h"
#include "kube/http_client.h"
#include "kube/transport.h"

namespace batchwatch::kube {

class CurlTransport : public Transport {
 public:
  CurlTransport(const Connection& conn, const std::atomic<bool>* stop,
                double connect_timeout_seconds, size_t max_line_bytes);

  HttpResponse ListPage(const std::string& path_and_query, std::string* body) override;
  WatchResponse Watch(const std::string& path_and_query, double timeout_seconds,
                      const std::function<bool(std::string_view line)>& on_line) override;
  // Interrupts a request in progress (thread-safe); it then sees the stop flag.
  void Wakeup() { client_.Wakeup(); }

 private:
  void OnAnswer(const HttpResponse& resp);

  const Connection conn_;
  const size_t max_line_bytes_;
  HttpClient client_;
};

}  // namespace batchwatch::kube
