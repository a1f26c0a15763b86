// Helpers shared by the web server tests: a throwaway PKI, HTTPS requests through libcurl and
// plain requests over a raw loopback socket.
#pragma once

#include <string>

#include "http/server.h"

namespace batchwatch::http::testing {

// Certificates written by make_certs.sh into a fresh temporary directory, removed at exit of
// the test suite by Remove().
class Pki {
 public:
  // false when openssl (or the script) failed; *error says why.
  bool Create(std::string* error);
  void Remove();
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }
  std::string Read(const std::string& file) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

struct Request {
  std::string url;
  std::string ca_file;              // trust anchor for the server certificate
  std::string cert_file, key_file;  // client certificate
  std::string user, password;       // basic auth when user is not empty
  bool tls12_only = false;          // cap the client at TLS 1.2
};

struct Reply {
  bool transport_ok = false;  // connection, TLS handshake and HTTP exchange completed
  long status = 0;
  std::string headers, body, error;
};

Reply Fetch(const Request& request);

// A TCP connection to 127.0.0.1:port whose reads give up after 30 s; -1 when it fails.
int ConnectLoopback(int port);

// HTTP/1.0 GET over a raw socket; "" when the connection fails. The socket gives up after 30 s
// so that a broken server fails the test instead of hanging it.
std::string RawGet(int port, const std::string& path, const std::string& extra_headers = "");

// Handlers answering metrics with one fixed line and reporting everything synced.
Handlers FixedHandlers();

}  // namespace batchwatch::http::testing
