#include "kube/http_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace batchwatch::kube {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void EnsureCurlInit() {
  static GlobalInit init;
  (void)init;
}

}  // namespace

struct HttpClient::State {
  HttpResponse* resp;
  CURL* easy;
  const std::function<bool(std::string_view)>* on_data;
};

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

HttpClient::HttpClient(const Connection& conn, const std::atomic<bool>* stop,
                       double connect_timeout_seconds)
    : conn_(conn), stop_(stop), connect_timeout_(connect_timeout_seconds) {
  EnsureCurlInit();
  multi_ = curl_multi_init();
  easy_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(static_cast<CURL*>(easy_));
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void HttpClient::Wakeup() { curl_multi_wakeup(static_cast<CURLM*>(multi_)); }

static size_t WriteCallback(char* data, size_t size, size_t n, void* userdata) {
  auto* st = static_cast<HttpClient::State*>(userdata);
  size_t len = size * n;
  long code = 0;
  curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300) {
    if (!(*st->on_data)(std::string_view(data, len))) {
      st->resp->aborted = true;
      return 0;  // aborts the transfer
    }
    return len;
  }
  if (st->resp->body.size() < kMaxErrorBody) {
    st->resp->body.append(data, std::min(len, kMaxErrorBody - st->resp->body.size()));
  }
  return len;
}

static size_t HeaderCallback(char* data, size_t size, size_t n, void* userdata) {
  auto* st = static_cast<HttpClient::State*>(userdata);
  size_t len = size * n;
  std::string_view line(data, len);
  constexpr std::string_view kRetry = "retry-after:";
  if (line.size() > kRetry.size() && strncasecmp(line.data(), kRetry.data(), kRetry.size()) == 0) {
    std::string value(line.substr(kRetry.size()));
    char* end = nullptr;
    double secs = std::strtod(value.c_str(), &end);
    if (end != value.c_str() && secs >= 0) st->resp->retry_after = secs;
  }
  if (line.rfind("HTTP/", 0) == 0) st->resp->retry_after = -1;  // a new response (redirect, 100)
  return len;
}

HttpResponse HttpClient::Get(const std::string& path_and_query, double total_timeout_seconds,
                             double idle_timeout_seconds,
                             const std::function<bool(std::string_view)>& on_data) {
  HttpResponse resp;
  CURL* easy = static_cast<CURL*>(easy_);
  CURLM* multi = static_cast<CURLM*>(multi_);
  if (!easy || !multi) {
    resp.error = "cannot initialise libcurl";
    return resp;
  }
  State st{&resp, easy, &on_data};
  curl_easy_reset(easy);
  std::string url = conn_.server + path_and_query;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_ * 1000));
  if (total_timeout_seconds > 0) {
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(total_timeout_seconds * 1000));
  }
  if (idle_timeout_seconds > 0) {
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(idle_timeout_seconds));
  }
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, WriteCallback);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, HeaderCallback);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &st);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "batchwatch");

  curl_blob ca{}, cert{}, key{};
  if (conn_.insecure_skip_tls_verify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!conn_.ca_pem.empty()) {
    ca.data = const_cast<char*>(conn_.ca_pem.data());
    ca.len = conn_.ca_pem.size();
    ca.flags = CURL_BLOB_NOCOPY;
    curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &ca);
  }
  if (!conn_.client_cert_pem.empty()) {
    cert.data = const_cast<char*>(conn_.client_cert_pem.data());
    cert.len = conn_.client_cert_pem.size();
    cert.flags = CURL_BLOB_NOCOPY;
    key.data = const_cast<char*>(conn_.client_key_pem.data());
    key.len = conn_.client_key_pem.size();
    key.flags = CURL_BLOB_NOCOPY;
    curl_easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
  }
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (conn_.token) {
    std::string token = conn_.token->Token();
    if (!token.empty()) {
      std::string auth = "Authorization: Bearer " + token;
      headers = curl_slist_append(headers, auth.c_str());
      std::fill(auth.begin(), auth.end(), '\0');
    }
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);

  curl_multi_add_handle(multi, easy);
  CURLcode result = CURLE_OK;
  bool done = false;
  while (!done) {
    if (stop_ && stop_->load()) {
      resp.aborted = true;
      break;
    }
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      resp.error = "curl_multi_perform failed";
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done || running == 0) {
      done = true;
      break;
    }
    curl_multi_poll(multi, nullptr, 0, 500, nullptr);
  }
  curl_multi_remove_handle(multi, easy);
  curl_slist_free_all(headers);

  long code = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  resp.status = code;
  if (resp.aborted) return resp;
  if (result != CURLE_OK) {
    resp.error = errbuf[0] ? errbuf : curl_easy_strerror(result);
    resp.tls_error = result == CURLE_PEER_FAILED_VERIFICATION ||
                     result == CURLE_SSL_CACERT_BADFILE || result == CURLE_SSL_CONNECT_ERROR ||
                     result == CURLE_SSL_CERTPROBLEM;
    // A stream cut after a complete response header still has a status; the caller decides.
  }
  return resp;
}

}  // namespace batchwatch::kube
