#include "kube/curl_transport.h"

#include "kube/line_splitter.h"

namespace batchwatch::kube {

CurlTransport::CurlTransport(const Connection& conn, const std::atomic<bool>* stop,
                             double connect_timeout_seconds, size_t max_line_bytes)
    : conn_(conn), max_line_bytes_(max_line_bytes), client_(conn, stop, connect_timeout_seconds) {}

void CurlTransport::OnAnswer(const HttpResponse& resp) {
  if (resp.status == 401 && conn_.token) conn_.token->Invalidate();
}

HttpResponse CurlTransport::ListPage(const std::string& path_and_query, std::string* body) {
  body->clear();
  // A list page is small and its body arrives whole; 60 s without a byte is a dead connection.
  HttpResponse resp = client_.Get(path_and_query, 120, 60, [body](std::string_view d) {
    body->append(d);
    return true;
  });
  OnAnswer(resp);
  return resp;
}

WatchResponse CurlTransport::Watch(const std::string& path_and_query, double timeout_seconds,
                                   const std::function<bool(std::string_view line)>& on_line) {
  LineSplitter splitter(max_line_bytes_);
  WatchResponse resp;
  static_cast<HttpResponse&>(resp) =
      client_.Get(path_and_query, timeout_seconds, 0,
                  [&](std::string_view data) { return splitter.Feed(data, on_line); });
  OnAnswer(resp);
  if (splitter.overflowed()) resp.line_cap_exceeded = max_line_bytes_;
  resp.ended_inside_line = splitter.pending() > 0;
  return resp;
}

}  // namespace batchwatch::kube
