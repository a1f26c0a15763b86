#include "http/web_config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "http/basic_auth.h"
#include "text/read_file.h"

namespace batchwatch::http {
namespace {

// Keys are checked against these tables so that a typo ("client_auth" for "client_auth_type")
// is a startup error rather than a server that silently runs without client certificates.
const char* const kTopLevelKeys[] = {"tls_server_config", "http_server_config", "basic_auth_users",
                                     "rate_limit"};
const char* const kTlsKeys[] = {"cert",
                                "key",
                                "client_ca",
                                "cert_file",
                                "key_file",
                                "client_auth_type",
                                "client_ca_file",
                                "client_allowed_sans",
                                "min_version",
                                "max_version",
                                "cipher_suites",
                                "prefer_server_cipher_suites",
                                "curve_preferences"};
const char* const kHttpKeys[] = {"http2", "headers"};
const char* const kHeaderNames[] = {"Content-Security-Policy", "X-Frame-Options",
                                    "X-Content-Type-Options", "X-XSS-Protection",
                                    "Strict-Transport-Security"};

template <size_t N>
bool Known(const char* const (&table)[N], const std::string& key) {
  for (const char* k : table) {
    if (key == k) return true;
  }
  return false;
}

template <size_t N>
std::string OneOf(const char* const (&table)[N]) {
  std::string out;
  for (const char* k : table) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Walks one YAML mapping, rejecting unknown and repeated keys.
bool CheckMap(const YAML::Node& node, const std::string& where, std::string* error) {
  if (!node.IsMap()) {
    *error = where + ": expected a mapping of keys to values";
    return false;
  }
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      *error = where + ": keys must be strings";
      return false;
    }
    std::string key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      *error = (where.empty() ? "" : where + ".") + key + ": key given twice";
      return false;
    }
  }
  return true;
}

template <size_t N>
bool CheckKeys(const YAML::Node& node, const std::string& where, const char* const (&table)[N],
               std::string* error) {
  if (!CheckMap(node, where.empty() ? "web config" : where, error)) return false;
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    if (!Known(table, key)) {
      *error = (where.empty() ? "" : where + ".") + key +
               ": unknown key (known keys: " + OneOf(table) + ")";
      return false;
    }
  }
  return true;
}

bool GetString(const YAML::Node& node, const std::string& name, std::string* out,
               std::string* error) {
  if (!node || node.IsNull()) {
    out->clear();
    return true;
  }
  if (!node.IsScalar()) {
    *error = name + ": expected a string";
    return false;
  }
  *out = node.Scalar();
  return true;
}

bool GetBool(const YAML::Node& node, const std::string& name, bool* out, std::string* error) {
  std::string v;
  if (!GetString(node, name, &v, error)) return false;
  if (v == "true")
    *out = true;
  else if (v == "false")
    *out = false;
  else {
    *error = name + ": expected true or false, got \"" + v + "\"";
    return false;
  }
  return true;
}

bool GetStringList(const YAML::Node& node, const std::string& name, std::vector<std::string>* out,
                   std::string* error) {
  out->clear();
  if (!node || node.IsNull()) return true;
  if (!node.IsSequence()) {
    *error = name + ": expected a list of strings";
    return false;
  }
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      *error = name + ": expected a list of strings";
      return false;
    }
    out->push_back(item.Scalar());
  }
  return true;
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

bool ParseVersion(const std::string& v, const std::string& name, TlsVersion* out,
                  std::string* error) {
  if (v == "TLS10")
    *out = TlsVersion::kTls10;
  else if (v == "TLS11")
    *out = TlsVersion::kTls11;
  else if (v == "TLS12")
    *out = TlsVersion::kTls12;
  else if (v == "TLS13")
    *out = TlsVersion::kTls13;
  else {
    *error = name + ": unsupported value \"" + v + "\" (use TLS10, TLS11, TLS12 or TLS13)";
    return false;
  }
  return true;
}

// One PEM item given either inline (`cert`) or as a file (`cert_file`).
bool PemFromInlineOrFile(const YAML::Node& tls, const std::string& inline_key,
                         const std::string& file_key, const std::string& base_dir, std::string* pem,
                         std::string* source, std::string* error) {
  std::string text, file;
  if (!GetString(tls[inline_key], "tls_server_config." + inline_key, &text, error)) return false;
  if (!GetString(tls[file_key], "tls_server_config." + file_key, &file, error)) return false;
  if (!text.empty() && !file.empty()) {
    *error = "tls_server_config: give either " + inline_key + " or " + file_key + ", not both";
    return false;
  }
  if (!text.empty()) {
    *pem = text;
    *source = "tls_server_config." + inline_key;
    return true;
  }
  if (file.empty()) return true;
  std::string path = Resolve(base_dir, file);
  std::string read_error;
  if (!text::ReadWholeFile(path, "", pem, &read_error)) {
    *error = "tls_server_config." + file_key + ": " + read_error;
    return false;
  }
  *source = path;
  return true;
}

bool ParseTls(const YAML::Node& tls, const std::string& base_dir, WebConfig* out,
              std::string* error) {
  if (!tls || tls.IsNull()) return true;
  if (!CheckKeys(tls, "tls_server_config", kTlsKeys, error)) return false;
  TlsServerConfig& c = out->tls_config;
  if (!PemFromInlineOrFile(tls, "cert", "cert_file", base_dir, &c.cert_pem, &c.cert_source,
                           error) ||
      !PemFromInlineOrFile(tls, "key", "key_file", base_dir, &c.key_pem, &c.key_source, error) ||
      !PemFromInlineOrFile(tls, "client_ca", "client_ca_file", base_dir, &c.client_ca_pem,
                           &c.client_ca_source, error)) {
    return false;
  }
  if (tls.size() == 0) return true;  // an empty section means plain HTTP, as in the toolkit
  if (c.cert_source.empty()) {
    *error = "tls_server_config: cert_file (or cert) is required to serve TLS";
    return false;
  }
  if (c.key_source.empty()) {
    *error = "tls_server_config: key_file (or key) is required to serve TLS";
    return false;
  }
  out->tls = true;

  std::string auth = "NoClientCert";
  if (!GetString(tls["client_auth_type"], "tls_server_config.client_auth_type", &auth, error)) {
    return false;
  }
  if (auth.empty() || auth == "NoClientCert")
    c.client_auth = ClientAuth::kNoClientCert;
  else if (auth == "VerifyClientCertIfGiven")
    c.client_auth = ClientAuth::kVerifyClientCertIfGiven;
  else if (auth == "RequireAndVerifyClientCert") {
    c.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  } else if (auth == "RequestClientCert" || auth == "RequireAnyClientCert") {
    *error = "tls_server_config.client_auth_type: " + auth +
             " is not supported (it accepts unverified certificates); use "
             "RequireAndVerifyClientCert or VerifyClientCertIfGiven";
    return false;
  } else {
    *error = "tls_server_config.client_auth_type: unsupported value \"" + auth +
             "\" (use NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)";
    return false;
  }
  if (c.client_auth == ClientAuth::kNoClientCert && !c.client_ca_source.empty()) {
    *error =
        "tls_server_config.client_ca_file: a client CA is configured but client_auth_type "
        "is NoClientCert; set client_auth_type to RequireAndVerifyClientCert";
    return false;
  }
  if (c.client_auth != ClientAuth::kNoClientCert && c.client_ca_source.empty()) {
    *error = "tls_server_config.client_ca_file: client_auth_type " + auth +
             " needs client_ca_file (or client_ca) to verify client certificates against";
    return false;
  }

  std::string version;
  if (!GetString(tls["min_version"], "tls_server_config.min_version", &version, error)) {
    return false;
  }
  if (!version.empty() &&
      !ParseVersion(version, "tls_server_config.min_version", &c.min_version, error)) {
    return false;
  }
  if (!GetString(tls["max_version"], "tls_server_config.max_version", &version, error)) {
    return false;
  }
  if (!version.empty() &&
      !ParseVersion(version, "tls_server_config.max_version", &c.max_version, error)) {
    return false;
  }
  if (c.min_version > c.max_version) {
    *error = "tls_server_config.min_version: is above max_version";
    return false;
  }
  if (tls["prefer_server_cipher_suites"] &&
      !GetBool(tls["prefer_server_cipher_suites"], "tls_server_config.prefer_server_cipher_suites",
               &c.prefer_server_cipher_suites, error)) {
    return false;
  }

  std::vector<std::string> list;
  if (!GetStringList(tls["cipher_suites"], "tls_server_config.cipher_suites", &list, error)) {
    return false;
  }
  if (!list.empty()) {
    *error =
        "tls_server_config.cipher_suites: not supported by batchwatch (Go cipher suite "
        "names); remove it to use OpenSSL's default suites, or raise min_version to TLS13";
    return false;
  }
  if (!GetStringList(tls["client_allowed_sans"], "tls_server_config.client_allowed_sans", &list,
                     error)) {
    return false;
  }
  if (!list.empty()) {
    *error =
        "tls_server_config.client_allowed_sans: not supported by batchwatch; give the "
        "exporter a client CA that signs only the certificates it should accept";
    return false;
  }
  if (!GetStringList(tls["curve_preferences"], "tls_server_config.curve_preferences", &list,
                     error)) {
    return false;
  }
  for (const auto& curve : list) {
    if (curve == "CurveP256")
      c.curve_preferences.push_back("P-256");
    else if (curve == "CurveP384")
      c.curve_preferences.push_back("P-384");
    else if (curve == "CurveP521")
      c.curve_preferences.push_back("P-521");
    else if (curve == "X25519")
      c.curve_preferences.push_back("X25519");
    else {
      *error = "tls_server_config.curve_preferences: unsupported curve \"" + curve +
               "\" (use CurveP256, CurveP384, CurveP521 or X25519)";
      return false;
    }
  }
  return true;
}

bool ParseHttp(const YAML::Node& http, WebConfig* out, std::string* error) {
  if (!http || http.IsNull()) return true;
  if (!CheckKeys(http, "http_server_config", kHttpKeys, error)) return false;
  bool http2 = true;
  // HTTP/2 is never offered (civetweb serves HTTP/1.1), which both values allow.
  if (http["http2"] && !GetBool(http["http2"], "http_server_config.http2", &http2, error)) {
    return false;
  }
  const YAML::Node headers = http["headers"];
  if (!headers || headers.IsNull()) return true;
  if (!CheckKeys(headers, "http_server_config.headers", kHeaderNames, error)) return false;
  for (const auto& kv : headers) {
    std::string name = kv.first.Scalar();
    std::string where = "http_server_config.headers." + name;
    std::string value;
    if (!GetString(kv.second, where, &value, error)) return false;
    if (value.empty()) continue;  // blank means unset
    if (value.find_first_of("\r\n") != std::string::npos) {
      *error = where + ": the value must be on one line";
      return false;
    }
    if (name == "X-Frame-Options" && Lower(value) != "deny" && Lower(value) != "sameorigin") {
      *error = where + ": unsupported value \"" + value + "\" (use deny or sameorigin)";
      return false;
    }
    if (name == "X-Content-Type-Options" && Lower(value) != "nosniff") {
      *error = where + ": unsupported value \"" + value + "\" (use nosniff)";
      return false;
    }
    out->headers.emplace_back(name, value);
  }
  return true;
}

bool ParseUsers(const YAML::Node& users, WebConfig* out, std::string* error) {
  if (!users || users.IsNull()) return true;
  if (!CheckMap(users, "basic_auth_users", error)) return false;
  for (const auto& kv : users) {
    std::string user = kv.first.Scalar();
    std::string where = "basic_auth_users." + user;
    if (user.find(':') != std::string::npos) {
      *error = where + ": user names cannot contain ':' (basic auth splits on it)";
      return false;
    }
    std::string hash;
    if (!GetString(kv.second, where, &hash, error)) return false;
    std::string why;
    if (!IsBcryptHash(hash, &why)) {
      *error = where + ": " + why;
      return false;
    }
    out->basic_auth_users[user] = hash;
  }
  return true;
}

}  // namespace

const char* ClientAuthName(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kNoClientCert:
      return "NoClientCert";
    case ClientAuth::kVerifyClientCertIfGiven:
      return "VerifyClientCertIfGiven";
    case ClientAuth::kRequireAndVerifyClientCert:
      return "RequireAndVerifyClientCert";
  }
  return "?";
}

bool ParseWebConfig(const std::string& yaml_text, const std::string& base_dir, WebConfig* out,
                    std::string* error) {
  *out = WebConfig{};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    *error = "not valid YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return false;
  }
  try {
    if (root.IsNull()) return true;  // an empty file changes nothing
    if (!CheckKeys(root, "", kTopLevelKeys, error)) return false;
    if (root["rate_limit"]) {
      *error =
          "rate_limit: not supported by batchwatch (concurrent scrapes are bounded instead; "
          "see docs/web.md)";
      return false;
    }
    return ParseTls(root["tls_server_config"], base_dir, out, error) &&
           ParseHttp(root["http_server_config"], out, error) &&
           ParseUsers(root["basic_auth_users"], out, error);
  } catch (const YAML::Exception& e) {
    // Not expected after the shape checks above; never let a config file crash the process.
    *error = "line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return false;
  }
}

bool LoadWebConfigFile(const std::string& path, WebConfig* out, std::string* error) {
  std::string text;
  if (!text::ReadWholeFile(path, "", &text, error)) return false;
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash == 0 ? 1 : slash);
  if (!ParseWebConfig(text, dir, out, error)) {
    *error = path + ": " + *error;
    return false;
  }
  return true;
}

}  // namespace batchwatch::http
