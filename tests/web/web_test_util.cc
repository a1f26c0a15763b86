#include "web_test_util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

namespace batchwatch::http::testing {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

bool Pki::Create(std::string* error) {
  char tmpl[] = "/tmp/bw-web-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    *error = "mkdtemp failed";
    return false;
  }
  dir_ = tmpl;
  std::string cmd = std::string("sh ") + BW_MAKE_CERTS + " " + dir_ + " >" + dir_ + "/log 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    *error = "make_certs.sh failed: " + Read("log");
    return false;
  }
  return true;
}

void Pki::Remove() {
  if (dir_.empty()) return;
  std::string cmd = "rm -rf " + dir_;
  (void)std::system(cmd.c_str());
  dir_.clear();
}

std::string Pki::Read(const std::string& file) const {
  std::ifstream in(Path(file));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Reply Fetch(const Request& r) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
  Reply reply;
  CURL* curl = curl_easy_init();
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);  // a hang fails the test, it never passes it
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  if (!r.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, r.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  if (!r.cert_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, r.cert_file.c_str());
  if (!r.key_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, r.key_file.c_str());
  if (r.tls12_only) {
    curl_easy_setopt(curl, CURLOPT_SSLVERSION,
                     CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2);
  }
  if (!r.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, r.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, r.password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  reply.transport_ok = rc == CURLE_OK;
  reply.error = errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_cleanup(curl);
  return reply;
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string RawGet(int port, const std::string& path, const std::string& extra_headers) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "";
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: x\r\n" + extra_headers + "\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

Handlers FixedHandlers() {
  Handlers h;
  h.metrics = [](batchwatch::metrics::Exposition* out) {
    out->Add(std::string("# TYPE up gauge\nup 1\n"));
  };
  h.unsynced = [] { return std::vector<std::string>{}; };
  return h;
}

}  // namespace batchwatch::http::testing
