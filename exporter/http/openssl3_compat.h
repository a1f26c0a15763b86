// Debian bookworm's civetweb 1.15 loads OpenSSL at run time and was written for the 1.1 API: it
// looks up SSL_get_peer_certificate, which OpenSSL 3 only has under the name
// SSL_get1_peer_certificate (same semantics). The lookup yields NULL and civetweb calls it after
// every TLS handshake, killing the process (upstream civetweb issue #1334). This redirects
// civetweb's own dlsym calls through a wrapper that maps the old name to the new one.
#pragma once

#include <string>

namespace batchwatch::http {

// Points libcivetweb's GOT entry for dlsym at the wrapper. Must run before civetweb loads
// OpenSSL (mg_init_library(MG_FEATURES_TLS)). Idempotent. false + *error when libcivetweb
// cannot be found or patched; TLS must then not be used.
bool RouteCivetwebOpenSslLookups(std::string* error);

}  // namespace batchwatch::http
