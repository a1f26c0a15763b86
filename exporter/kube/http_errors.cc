#include "kube/http_errors.h"

#include <string>

namespace batchwatch::kube {
namespace {

// OpenSSL's reasons when the bytes that came back are not a TLS record: the port answers
// plain HTTP (OpenSSL 3 says "wrong version number"; 1.1 sometimes "packet length too long"
// or "unknown protocol" / "http request").
bool LooksLikePlainHttp(const std::string& error) {
  for (const char* reason :
       {"wrong version number", "packet length too long", "unknown protocol", "http request"}) {
    if (error.find(reason) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string DescribeTransportFailure(const std::string& server, const HttpResponse& resp) {
  if (resp.tls_error && LooksLikePlainHttp(resp.error)) {
    return "the API server " + server + " does not speak TLS (" + resp.error +
           "): the port answers plain HTTP; use an http:// URL if that is intended, or the "
           "server's TLS port";
  }
  if (resp.tls_error) {
    return "TLS verification of " + server + " failed: " + resp.error +
           " (check the CA: --ca-file, the kubeconfig certificate-authority, or "
           "--insecure-skip-tls-verify for testing only)";
  }
  return "cannot reach the API server " + server + ": " + resp.error;
}

}  // namespace batchwatch::kube
