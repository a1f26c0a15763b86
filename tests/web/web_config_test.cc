#include "http/web_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace batchwatch::http {
namespace {

constexpr char kHash[] = "$2y$04$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6mC";

// A directory with placeholder PEM files: parsing reads files but does not check their
// contents (the server does, see tls_server_test.cc).
class WebConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bw-web-config-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* f : {"tls.crt", "tls.key", "ca.crt"}) {
      std::ofstream(dir_ + "/" + f) << "PEM of " << f << "\n";
    }
  }
  void TearDown() override {
    for (const char* f : {"tls.crt", "tls.key", "ca.crt", "web.yml"}) {
      unlink((dir_ + "/" + f).c_str());
    }
    rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(WebConfigTest, AcceptedFiles) {
  struct Case {
    const char* name;
    std::string yaml;
    bool tls;
    ClientAuth auth;
    TlsVersion min;
    size_t users;
    size_t headers;
  } cases[] = {
      {"empty file", "", false, ClientAuth::kNoClientCert, TlsVersion::kTls12, 0, 0},
      {"only comments", "# nothing yet\n", false, ClientAuth::kNoClientCert, TlsVersion::kTls12, 0,
       0},
      {"empty tls section", "tls_server_config: {}\n", false, ClientAuth::kNoClientCert,
       TlsVersion::kTls12, 0, 0},
      {"basic auth only", std::string("basic_auth_users:\n  alice: ") + kHash + "\n  bob: " + kHash,
       false, ClientAuth::kNoClientCert, TlsVersion::kTls12, 2, 0},
      {"tls", "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n", true,
       ClientAuth::kNoClientCert, TlsVersion::kTls12, 0, 0},
      {"mtls",
       "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
       "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
       "  min_version: TLS13\n",
       true, ClientAuth::kRequireAndVerifyClientCert, TlsVersion::kTls13, 0, 0},
      {"optional client certs",
       "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
       "  client_auth_type: VerifyClientCertIfGiven\n"
       "  client_ca_file: ca.crt\n",
       true, ClientAuth::kVerifyClientCertIfGiven, TlsVersion::kTls12, 0, 0},
      {"inline pem", "tls_server_config:\n  cert: |\n    PEM\n  key: |\n    KEY\n", true,
       ClientAuth::kNoClientCert, TlsVersion::kTls12, 0, 0},
      {"toolkit extras that change nothing here",
       "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
       "  prefer_server_cipher_suites: false\n  cipher_suites: []\n  client_allowed_sans: []\n"
       "  curve_preferences: [X25519, CurveP256]\n  max_version: TLS13\n"
       "http_server_config:\n  http2: false\n",
       true, ClientAuth::kNoClientCert, TlsVersion::kTls12, 0, 0},
      {"security headers",
       "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
       "    X-Content-Type-Options: nosniff\n    X-XSS-Protection: ''\n",
       false, ClientAuth::kNoClientCert, TlsVersion::kTls12, 0, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WebConfig config;
    std::string error;
    ASSERT_TRUE(ParseWebConfig(c.yaml, dir_, &config, &error)) << error;
    EXPECT_EQ(config.tls, c.tls);
    EXPECT_EQ(config.tls_config.client_auth, c.auth);
    EXPECT_EQ(config.tls_config.min_version, c.min);
    EXPECT_EQ(config.basic_auth_users.size(), c.users);
    EXPECT_EQ(config.headers.size(), c.headers);
  }
}

TEST_F(WebConfigTest, RejectedFilesNameTheKey) {
  const std::string tls = "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n";
  struct Case {
    std::string yaml;
    const char* error;
  } cases[] = {
      {"tls_server_config: [\n", "not valid YAML: line"},
      {"- a\n- b\n", "web config: expected a mapping"},
      {"basic_auth: {}\n", "basic_auth: unknown key"},
      {"tls_config:\n  cert_file: tls.crt\n", "tls_config: unknown key"},
      {tls + "  client_auth: RequireAndVerifyClientCert\n",
       "tls_server_config.client_auth: unknown key"},
      {tls + "  cert_file: tls.crt\n", "tls_server_config.cert_file: key given twice"},
      {tls + "  client_auth_type: RequireAnyClientCert\n  client_ca_file: ca.crt\n",
       "tls_server_config.client_auth_type: RequireAnyClientCert is not supported"},
      {tls + "  client_auth_type: Always\n",
       "tls_server_config.client_auth_type: unsupported value \"Always\""},
      {tls + "  client_auth_type: RequireAndVerifyClientCert\n",
       "tls_server_config.client_ca_file: client_auth_type RequireAndVerifyClientCert needs"},
      {tls + "  client_ca_file: ca.crt\n",
       "tls_server_config.client_ca_file: a client CA is configured but client_auth_type is "
       "NoClientCert"},
      {tls + "  min_version: TLS14\n", "tls_server_config.min_version: unsupported value"},
      {tls + "  min_version: TLS13\n  max_version: TLS12\n",
       "tls_server_config.min_version: is above max_version"},
      {tls + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
       "tls_server_config.cipher_suites: not supported"},
      {tls + "  client_allowed_sans: [prometheus]\n",
       "tls_server_config.client_allowed_sans: not supported"},
      {tls + "  curve_preferences: [CurveP999]\n",
       "tls_server_config.curve_preferences: unsupported curve"},
      {tls + "  prefer_server_cipher_suites: maybe\n",
       "tls_server_config.prefer_server_cipher_suites: expected true or false"},
      {tls + "  min_version: [TLS12]\n", "tls_server_config.min_version: expected a string"},
      {"tls_server_config:\n  key_file: tls.key\n", "tls_server_config: cert_file (or cert) is"},
      {"tls_server_config:\n  cert_file: tls.crt\n", "tls_server_config: key_file (or key) is"},
      {"tls_server_config:\n  cert_file: tls.crt\n  cert: PEM\n  key_file: tls.key\n",
       "give either cert or cert_file"},
      {"tls_server_config:\n  cert_file: missing.crt\n  key_file: tls.key\n",
       "tls_server_config.cert_file: cannot read "},
      {"basic_auth_users:\n  alice: plaintext\n", "basic_auth_users.alice: not a bcrypt hash"},
      {"basic_auth_users:\n  alice: [x]\n", "basic_auth_users.alice: expected a string"},
      {std::string("basic_auth_users:\n  'a:b': ") + kHash + "\n",
       "basic_auth_users.a:b: user names cannot contain ':'"},
      {"basic_auth_users: [alice]\n", "basic_auth_users: expected a mapping"},
      {"rate_limit:\n  interval: 1s\n  burst: 10\n", "rate_limit: not supported"},
      {"http_server_config:\n  http3: true\n", "http_server_config.http3: unknown key"},
      {"http_server_config:\n  headers:\n    Set-Cookie: a=b\n",
       "http_server_config.headers.Set-Cookie: unknown key"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       "http_server_config.headers.X-Frame-Options: unsupported value"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    WebConfig config;
    std::string error;
    EXPECT_FALSE(ParseWebConfig(c.yaml, dir_, &config, &error));
    EXPECT_NE(error.find(c.error), std::string::npos) << error;
  }
}

TEST_F(WebConfigTest, RelativeFilesAreResolvedAgainstTheConfigFileDirectory) {
  std::ofstream(dir_ + "/web.yml") << "tls_server_config:\n  cert_file: tls.crt\n"
                                      "  key_file: "
                                   << dir_ << "/tls.key\n";
  WebConfig config;
  std::string error;
  ASSERT_TRUE(LoadWebConfigFile(dir_ + "/web.yml", &config, &error)) << error;
  EXPECT_EQ(config.tls_config.cert_pem, "PEM of tls.crt\n");
  EXPECT_EQ(config.tls_config.cert_source, dir_ + "/tls.crt");
  EXPECT_EQ(config.tls_config.key_pem, "PEM of tls.key\n");
}

TEST_F(WebConfigTest, MissingFileIsAnErrorNamingIt) {
  WebConfig config;
  std::string error;
  EXPECT_FALSE(LoadWebConfigFile(dir_ + "/absent.yml", &config, &error));
  EXPECT_NE(error.find("cannot read " + dir_ + "/absent.yml: No such file"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace batchwatch::http
