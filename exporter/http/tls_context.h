// Turns a TlsServerConfig into OpenSSL settings on the SSL_CTX civetweb creates, so that the
// certificate, key and client CA come from the web config (separate files or inline PEM) rather
// than from civetweb's one-PEM-file options, and client verification follows client_auth_type.
#pragma once

#include <string>

#include "http/web_config.h"

namespace batchwatch::http {

// Loads the certificate chain, key and client CA into `ssl_ctx` (an SSL_CTX*) and sets the
// verification mode and protocol versions. false + *error (naming the file) on failure.
bool ConfigureTlsContext(void* ssl_ctx, const TlsServerConfig& config, std::string* error);

// Applies `config` to a scratch context: a startup check with readable errors, before civetweb
// reports only "Initializing SSL context failed".
bool CheckTlsConfig(const TlsServerConfig& config, std::string* error);

}  // namespace batchwatch::http
