// TLS, client certificates and basic auth, end to end: a real server on 127.0.0.1 and libcurl
// as the client, with certificates from make_certs.sh.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "http/server.h"
#include "web_test_util.h"

namespace batchwatch::http {
namespace {

using testing::Fetch;
using testing::Reply;
using testing::Request;

// password "s3cret" and "hunter2", bcrypt cost 4 so the suite stays fast.
constexpr char kPrometheusHash[] = "$2y$04$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6mC";
constexpr char kGrafanaHash[] = "$2b$04$I1.eORpWy4rVnuf/AiVbO.lpPaV6GtRrpid7zUs9fGg.V8Hc5MP9.";

class WebServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing::Pki();
    std::string error;
    if (!pki_->Create(&error)) setup_error_ = new std::string(error);
  }
  static void TearDownTestSuite() {
    pki_->Remove();
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override {
    if (setup_error_ != nullptr) GTEST_SKIP() << "no test PKI: " << *setup_error_;
  }

  // A web config file in the PKI directory with relative file names, as users write them.
  std::string WriteConfig(const std::string& name, const std::string& yaml) {
    std::string path = pki_->Path(name);
    std::ofstream(path) << yaml;
    return path;
  }

  bool Start(const std::string& yaml, std::string* error) {
    ServerOptions opts;
    opts.listen_address = "127.0.0.1:0";
    opts.web_config_file = WriteConfig("web.yml", yaml);
    return server_.Start(opts, testing::FixedHandlers(), error);
  }

  std::string Url(const std::string& path) const {
    return std::string(server_.tls() ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(server_.port()) + path;
  }

  static testing::Pki* pki_;
  static std::string* setup_error_;
  Server server_;
};

testing::Pki* WebServerTest::pki_ = nullptr;
std::string* WebServerTest::setup_error_ = nullptr;

std::string TlsConfig(const std::string& client_auth) {
  std::string yaml =
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n";
  if (client_auth != "NoClientCert") {
    yaml += "  client_auth_type: " + client_auth + "\n  client_ca_file: ca.crt\n";
  }
  return yaml;
}

TEST_F(WebServerTest, ClientCertificatePolicies) {
  struct Case {
    const char* name;
    const char* client_auth;
    const char* client;   // "", "client" (signed by the trusted CA) or "other-client"
    const char* trusted;  // CA the client trusts for the server certificate
    bool served;
  } cases[] = {
      {"server certificate verifies against its CA", "NoClientCert", "", "ca", true},
      {"server certificate from an unknown CA is refused by the client", "NoClientCert", "",
       "other-ca", false},
      {"required client certificate missing", "RequireAndVerifyClientCert", "", "ca", false},
      {"required client certificate from another CA", "RequireAndVerifyClientCert", "other-client",
       "ca", false},
      {"required client certificate from the client CA", "RequireAndVerifyClientCert", "client",
       "ca", true},
      {"optional client certificate omitted", "VerifyClientCertIfGiven", "", "ca", true},
      {"optional client certificate from another CA", "VerifyClientCertIfGiven", "other-client",
       "ca", false},
      {"optional client certificate from the client CA", "VerifyClientCertIfGiven", "client", "ca",
       true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Server server;
    ServerOptions opts;
    opts.listen_address = "127.0.0.1:0";
    opts.web_config_file = WriteConfig("web.yml", TlsConfig(c.client_auth));
    std::string error;
    ASSERT_TRUE(server.Start(opts, testing::FixedHandlers(), &error)) << error;
    ASSERT_TRUE(server.tls());
    Request r;
    r.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/metrics";
    r.ca_file = pki_->Path(std::string(c.trusted) + ".crt");
    if (*c.client != 0) {
      r.cert_file = pki_->Path(std::string(c.client) + ".crt");
      r.key_file = pki_->Path(std::string(c.client) + ".key");
    }
    Reply reply = Fetch(r);
    if (c.served) {
      EXPECT_TRUE(reply.transport_ok) << reply.error;
      EXPECT_EQ(reply.status, 200);
      EXPECT_EQ(reply.body, "# TYPE up gauge\nup 1\n");
    } else {
      EXPECT_FALSE(reply.transport_ok && reply.status == 200) << reply.status << " " << reply.body;
      EXPECT_EQ(reply.body, "");
    }
  }
}

TEST_F(WebServerTest, PlainHttpIsNotServedOnTheTlsPort) {
  std::string error;
  ASSERT_TRUE(Start(TlsConfig("NoClientCert"), &error)) << error;
  Request r;
  r.url = "http://127.0.0.1:" + std::to_string(server_.port()) + "/metrics";
  Reply reply = Fetch(r);
  EXPECT_NE(reply.status, 200);
  EXPECT_EQ(reply.body.find("up 1"), std::string::npos);
}

TEST_F(WebServerTest, MinVersionRefusesOlderClients) {
  std::string error;
  ASSERT_TRUE(Start(TlsConfig("NoClientCert") + "  min_version: TLS13\n", &error)) << error;
  Request r;
  r.url = Url("/healthz");
  r.ca_file = pki_->Path("ca.crt");
  EXPECT_EQ(Fetch(r).status, 200);
  r.tls12_only = true;
  Reply old = Fetch(r);
  EXPECT_FALSE(old.transport_ok);
  EXPECT_EQ(old.status, 0);
}

TEST_F(WebServerTest, InlineCertificateAndKey) {
  auto indent = [](const std::string& pem) {
    std::string out;
    size_t pos = 0, nl;
    while ((nl = pem.find('\n', pos)) != std::string::npos) {
      out += "    " + pem.substr(pos, nl - pos + 1);
      pos = nl + 1;
    }
    return out;
  };
  std::string yaml = "tls_server_config:\n  cert: |\n" + indent(pki_->Read("server.crt")) +
                     "  key: |\n" + indent(pki_->Read("server.key"));
  std::string error;
  ASSERT_TRUE(Start(yaml, &error)) << error;
  Request r;
  r.url = Url("/metrics");
  r.ca_file = pki_->Path("ca.crt");
  EXPECT_EQ(Fetch(r).status, 200);
}

TEST_F(WebServerTest, BasicAuthGuardsEveryEndpoint) {
  const std::string users = std::string("basic_auth_users:\n  prometheus: ") + kPrometheusHash +
                            "\n  grafana: " + kGrafanaHash + "\n";
  for (bool tls : {false, true}) {
    SCOPED_TRACE(tls ? "https" : "http");
    Server server;
    ServerOptions opts;
    opts.listen_address = "127.0.0.1:0";
    opts.web_config_file = WriteConfig("web.yml", (tls ? TlsConfig("NoClientCert") : "") + users);
    std::string error;
    Handlers handlers = testing::FixedHandlers();
    // The status pages and JSON API (exporter/web) sit behind the same check.
    handlers.pages = [](const http::Request& request, http::Response* response) {
      response->status = request.path == "/api/v1/cronjobs" ? 200 : 404;
      response->body = "{}";
    };
    ASSERT_TRUE(server.Start(opts, handlers, &error)) << error;
    std::string base =
        std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(server.port());
    struct Case {
      const char* name;
      const char* path;
      const char* user;
      const char* password;
      long status;
    } cases[] = {
        {"no credentials", "/metrics", "", "", 401},
        {"wrong password", "/metrics", "prometheus", "s3cret!", 401},
        {"password of another user", "/metrics", "prometheus", "hunter2", 401},
        {"unknown user", "/metrics", "nobody", "s3cret", 401},
        {"empty password", "/metrics", "prometheus", "", 401},
        {"right password ($2y$ hash)", "/metrics", "prometheus", "s3cret", 200},
        {"right password again (cached)", "/metrics", "prometheus", "s3cret", 200},
        {"right password ($2b$ hash)", "/metrics", "grafana", "hunter2", 200},
        {"healthz without credentials", "/healthz", "", "", 401},
        {"healthz with credentials", "/healthz", "prometheus", "s3cret", 200},
        {"readyz without credentials", "/readyz", "", "", 401},
        {"landing page without credentials", "/", "", "", 401},
        {"unknown path without credentials", "/nope", "", "", 401},
        {"unknown path with credentials", "/nope", "prometheus", "s3cret", 404},
        {"JSON API without credentials", "/api/v1/cronjobs", "", "", 401},
        {"JSON API with credentials", "/api/v1/cronjobs", "grafana", "hunter2", 200},
    };
    for (const auto& c : cases) {
      SCOPED_TRACE(c.name);
      Request r;
      r.url = base + c.path;
      r.ca_file = pki_->Path("ca.crt");
      r.user = c.user;
      r.password = c.password;
      Reply reply = Fetch(r);
      ASSERT_TRUE(reply.transport_ok) << reply.error;
      EXPECT_EQ(reply.status, c.status);
      if (c.status == 401) {
        EXPECT_NE(reply.headers.find("WWW-Authenticate: Basic realm=\"batchwatch\""),
                  std::string::npos)
            << reply.headers;
        EXPECT_EQ(reply.body.find("up 1"), std::string::npos);
      }
    }
  }
}

TEST_F(WebServerTest, MalformedAuthorizationHeadersAre401) {
  std::string error;
  ASSERT_TRUE(
      Start(std::string("basic_auth_users:\n  prometheus: ") + kPrometheusHash + "\n", &error))
      << error;
  for (const char* header : {"Authorization: Basic\r\n", "Authorization: Basic !!!!\r\n",
                             "Authorization: Bearer cHJvbWV0aGV1czpzM2NyZXQ=\r\n",
                             "Authorization: Basic cHJvbWV0aGV1cw==\r\n",            // no colon
                             "Authorization: Basic cHJvbWV0aGV1czpzM2NyZXQ\r\n"}) {  // unpadded
    SCOPED_TRACE(header);
    std::string r = testing::RawGet(server_.port(), "/metrics", header);
    EXPECT_NE(r.find(" 401 "), std::string::npos) << r;
  }
  std::string ok = testing::RawGet(server_.port(), "/metrics",
                                   "Authorization: Basic cHJvbWV0aGV1czpzM2NyZXQ=\r\n");
  EXPECT_NE(ok.find(" 200 "), std::string::npos) << ok;
}

TEST_F(WebServerTest, ConfiguredHeadersAreSent) {
  std::string error;
  ASSERT_TRUE(
      Start("http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
            "    Strict-Transport-Security: max-age=31536000\n",
            &error))
      << error;
  std::string r = testing::RawGet(server_.port(), "/healthz");
  EXPECT_NE(r.find("X-Frame-Options: deny"), std::string::npos) << r;
  EXPECT_NE(r.find("Strict-Transport-Security: max-age=31536000"), std::string::npos) << r;
}

TEST_F(WebServerTest, BadTlsMaterialIsAStartupErrorNamingTheProblem) {
  struct Case {
    const char* name;
    std::string yaml;
    const char* error;
  } cases[] = {
      {"missing certificate file",
       "tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n",
       "tls_server_config.cert_file: cannot read"},
      {"key of another certificate",
       "tls_server_config:\n  cert_file: server.crt\n  key_file: stray.key\n",
       "does not match the certificate"},
      {"certificate file holding a key",
       "tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n",
       "no PEM certificate found"},
      {"client CA file holding a key",
       "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
       "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: server.key\n",
       "no PEM certificate found"},
      {"unknown key", "tls_server_config:\n  cert_file: server.crt\n  keyfile: server.key\n",
       "tls_server_config.keyfile: unknown key"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Server server;
    ServerOptions opts;
    opts.listen_address = "127.0.0.1:0";
    opts.web_config_file = WriteConfig("web.yml", c.yaml);
    std::string error;
    EXPECT_FALSE(server.Start(opts, testing::FixedHandlers(), &error));
    EXPECT_NE(error.find(c.error), std::string::npos) << error;
    EXPECT_NE(error.find(opts.web_config_file), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace batchwatch::http
