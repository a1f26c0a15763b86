// The --web-config-file: TLS, client certificates and basic auth for the HTTP endpoints, in the
// format of the Prometheus exporter-toolkit (docs/web-configuration.md there), so the same file
// works for node_exporter and batchwatch. Every key the toolkit defines is recognised; the ones
// batchwatch cannot honour are rejected by name instead of being silently ignored.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace batchwatch::http {

enum class ClientAuth {
  kNoClientCert,                // no client certificate is asked for
  kVerifyClientCertIfGiven,     // asked for; when sent it must chain to the client CA
  kRequireAndVerifyClientCert,  // mandatory and must chain to the client CA
};

// TLS protocol versions as exporter-toolkit names them ("TLS12").
enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

struct TlsServerConfig {
  // PEM text of the certificate chain, the private key and the client CA bundle. The file
  // variants are read by LoadWebConfigFile; *_source names where each came from for errors.
  std::string cert_pem, key_pem, client_ca_pem;
  std::string cert_source, key_source, client_ca_source;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  bool prefer_server_cipher_suites = true;
  // OpenSSL group names ("P-256", "X25519"), mapped from the toolkit's Go names.
  std::vector<std::string> curve_preferences;
};

struct WebConfig {
  bool tls = false;  // false: plain HTTP (a file may configure only basic auth)
  TlsServerConfig tls_config;
  // user -> bcrypt hash ($2a$, $2b$ or $2y$). Empty: no authentication.
  std::map<std::string, std::string> basic_auth_users;
  // Extra response headers from http_server_config.headers, in file order.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Parses the YAML text of a web config file. Relative *_file paths are resolved against
// base_dir (the file's directory, as exporter-toolkit does) and read. false + *error naming the
// key (e.g. "tls_server_config.client_auth_type: unsupported value ...") on any problem.
bool ParseWebConfig(const std::string& yaml_text, const std::string& base_dir, WebConfig* out,
                    std::string* error);

// Reads and parses the file at path. Errors start with the path.
bool LoadWebConfigFile(const std::string& path, WebConfig* out, std::string* error);

const char* ClientAuthName(ClientAuth auth);

}  // namespace batchwatch::http
