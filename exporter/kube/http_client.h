// One libcurl handle per worker (keeps its connection alive between requests), driven through
// curl_multi so that Stop() can interrupt a long watch at once (curl_multi_wakeup).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "kube/connection.h"
#include "kube/transport.h"

namespace batchwatch::kube {

class HttpClient {
 public:
  HttpClient(const Connection& conn, const std::atomic<bool>* stop, double connect_timeout_seconds);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET server + path_and_query. 2xx bodies stream to on_data (return false to abort); other
  // bodies are collected in the response. total_timeout 0 = none; the transfer also fails
  // when no byte arrives for idle_timeout seconds.
  HttpResponse Get(const std::string& path_and_query, double total_timeout_seconds,
                   double idle_timeout_seconds,
                   const std::function<bool(std::string_view)>& on_data);

  // Interrupts a Get in progress (thread-safe); it then checks the stop flag.
  void Wakeup();

  struct State;  // per-request callback state (http_client.cc)

 private:
  const Connection conn_;
  const std::atomic<bool>* stop_;
  const double connect_timeout_;
  void* multi_ = nullptr;
  void* easy_ = nullptr;
};

}  // namespace batchwatch::kube
