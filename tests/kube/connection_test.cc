#include "kube/connection.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "kube/http_errors.h"
#include "text/base64.h"

namespace batchwatch::kube {
namespace {

std::string Dir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/bw-kube-conn-XXXXXX";
    std::string d = mkdtemp(tmpl);
    std::string cmd = "cd " + d +
                      " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test "
                      "-keyout key.pem -out cert.pem >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return d;
  }();
  return dir;
}

void Write(const std::string& path, const std::string& content, bool exec = false) {
  std::ofstream(path) << content;
  if (exec) chmod(path.c_str(), 0755);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string B64(const std::string& s) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (s.size() - i == 1) {
    unsigned v = (unsigned char)s[i] << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (s.size() - i == 2) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8;
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

TEST(DecodeBase64, Table) {
  struct Case {
    std::string in;
    bool ok;
    std::string out;
  } cases[] = {
      {"", true, ""},          {"YQ==", true, "a"},  {"YWI=", true, "ab"},  {"YWJj", true, "abc"},
      {"YW\nJj", true, "abc"}, {"YWJj!", false, ""}, {"YQ==YQ", false, ""},
  };
  for (const auto& c : cases) {
    std::string out;
    EXPECT_EQ(text::DecodeBase64Lenient(c.in, &out), c.ok) << c.in;
    if (c.ok) {
      EXPECT_EQ(out, c.out) << c.in;
    }
  }
}

TEST(BracketHost, Ipv6IsBracketed) {
  EXPECT_EQ(BracketHost("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(BracketHost("fd00::1"), "[fd00::1]");
  EXPECT_EQ(BracketHost("[fd00::1]"), "[fd00::1]");
  EXPECT_EQ(BracketHost("kubernetes.default.svc"), "kubernetes.default.svc");
}

TEST(ValidatePem, CertificatesAndKeys) {
  std::string cert = Read(Dir() + "/cert.pem"), key = Read(Dir() + "/key.pem"), error;
  EXPECT_TRUE(ValidateCertificatePem(cert, "ca", &error)) << error;
  EXPECT_TRUE(ValidateCertificatePem(cert + cert, "ca bundle", &error)) << error;
  EXPECT_FALSE(ValidateCertificatePem("garbage", "ca", &error));
  EXPECT_NE(error.find("ca holds no PEM certificate"), std::string::npos) << error;
  EXPECT_FALSE(ValidateCertificatePem(key, "ca", &error));
  EXPECT_TRUE(ValidatePrivateKeyPem(key, "key", &error)) << error;
  EXPECT_FALSE(ValidatePrivateKeyPem(cert, "key", &error));
}

std::string Kubeconfig(const std::string& cluster_extra, const std::string& user_extra,
                       const std::string& current = "main") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: " + current +
         "\nclusters:\n- name: c1\n  cluster:\n    server: https://10.1.2.3:6443/\n" +
         cluster_extra + "\ncontexts:\n- name: main\n  context: {cluster: c1, user: u1}\n" +
         "- name: other\n  context: {cluster: c1, user: u2}\n" + "users:\n- name: u1\n  user:\n" +
         user_extra + "\n- name: u2\n  user: {token: t2}\n";
}

struct KubeconfigCase {
  const char* name;
  std::string cluster;  // extra lines under cluster:
  std::string user;     // lines under user:
  std::string context;
  bool ok;
  std::string error_part;
  std::string token;
  bool client_cert = false;
};

TEST(LoadKubeconfig, Table) {
  std::string d = Dir();
  std::string cert = Read(d + "/cert.pem"), key = Read(d + "/key.pem");
  Write(d + "/tok", "file-token\n");
  Write(d + "/plugin.sh",
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
        "\"ExecCredential\",\"status\":{\"token\":\"exec-'$1'\"}}'\n",
        true);
  Write(d + "/fail.sh", "#!/bin/sh\nexit 3\n", true);
  KubeconfigCase cases[] = {
      {"token", "", "    token: abc", "", true, "", "abc"},
      {"token file relative to kubeconfig", "", "    tokenFile: tok", "", true, "", "file-token"},
      {"context flag", "", "    token: abc", "other", true, "", "t2"},
      {"unknown context", "", "    token: abc", "nope", false, "context \"nope\" not found", ""},
      {"ca file relative", "    certificate-authority: cert.pem", "    token: s3cr3t", "", true, "",
       "s3cr3t"},
      {"ca data", "    certificate-authority-data: " + B64(cert), "    token: s3cr3t", "", true, "",
       "s3cr3t"},
      {"ca data not base64", "    certificate-authority-data: '!!'", "    token: a", "", false,
       "certificate-authority-data is not valid base64", ""},
      {"ca file missing", "    certificate-authority: missing.pem", "    token: a", "", false,
       "missing.pem", ""},
      {"ca not pem", "    certificate-authority-data: " + B64("hello"), "    token: a", "", false,
       "holds no PEM certificate", ""},
      {"client cert data", "",
       "    client-certificate-data: " + B64(cert) + "\n    client-key-data: " + B64(key), "", true,
       "", "", true},
      {"client cert files", "", "    client-certificate: cert.pem\n    client-key: key.pem", "",
       true, "", "", true},
      {"client cert without key", "", "    client-certificate: cert.pem", "", false,
       "needs both a client certificate and a client key", ""},
      {"key is not a key", "", "    client-certificate: cert.pem\n    client-key: cert.pem", "",
       false, "holds no PEM private key", ""},
      {"exec plugin", "",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
       "      command: ./plugin.sh\n      args: [one]",
       "", true, "", "exec-one"},
      {"exec plugin fails", "",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
       "      command: ./fail.sh",
       "", false, "failed (exit status 3)", ""},
      {"exec plugin missing", "",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
       "      command: /nonexistent/plugin",
       "", false, "cannot run exec credential plugin", ""},
      // Fuzz-found (fuzz/corpus/kubeconfig/regress_*): used to throw out of LoadKubeconfig.
      {"exec args not strings", "",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
       "      command: ./plugin.sh\n      args: [{a: b}]",
       "", false, "exec plugin args must be strings", ""},
      {"exec old api", "",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n"
       "      command: ./plugin.sh",
       "", false, "is not supported", ""},
      {"auth provider", "", "    auth-provider: {name: gcp}", "", false, "auth-provider", ""},
      {"insecure", "    insecure-skip-tls-verify: true", "    token: s3cr3t", "", true, "",
       "s3cr3t"},
  };
  for (const auto& c : cases) {
    std::string path = d + "/kubeconfig";
    Write(path, Kubeconfig(c.cluster, c.user));
    Connection conn;
    std::string error;
    bool ok = LoadKubeconfig({{path}, c.context}, &conn, &error);
    EXPECT_EQ(ok, c.ok) << c.name << ": " << error;
    if (!ok) {
      EXPECT_NE(error.find(c.error_part), std::string::npos) << c.name << ": " << error;
      continue;
    }
    EXPECT_EQ(conn.server, "https://10.1.2.3:6443/") << c.name;
    EXPECT_EQ(conn.token ? conn.token->Token() : "", c.token) << c.name;
    EXPECT_EQ(!conn.client_cert_pem.empty(), c.client_cert) << c.name;
    // Never leak the token into descriptions.
    if (conn.token && !c.token.empty()) {
      EXPECT_EQ(conn.token->Describe().find(c.token), std::string::npos) << c.name;
    }
  }
}

TEST(LoadKubeconfig, FirstFileWinsAndMissingFilesInListAreSkipped) {
  std::string d = Dir();
  Write(d + "/kc-a",
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
        "users:\n- name: u\n  user: {token: from-a}\n");
  Write(d + "/kc-b",
        "current-context: b\nclusters:\n- name: c\n  cluster: {server: 'http://h:1'}\n"
        "users:\n- name: u\n  user: {token: from-b}\n");
  Connection conn;
  std::string error;
  ASSERT_TRUE(LoadKubeconfig({{d + "/missing", d + "/kc-a", d + "/kc-b"}, ""}, &conn, &error))
      << error;
  EXPECT_EQ(conn.server, "http://h:1");
  EXPECT_EQ(conn.token->Token(), "from-a");
  EXPECT_FALSE(LoadKubeconfig({{d + "/missing"}, ""}, &conn, &error));
  EXPECT_NE(error.find("cannot read kubeconfig"), std::string::npos) << error;
  Write(d + "/kc-bad", "clusters: [\n");
  EXPECT_FALSE(LoadKubeconfig({{d + "/kc-bad"}, ""}, &conn, &error));
  EXPECT_NE(error.find("not valid YAML"), std::string::npos) << error;
}

// Fuzz-found (fuzz/corpus/kubeconfig/regress_*): an entry whose body key is missing or
// misspelt made yaml-cpp throw InvalidNode out of LoadKubeconfig, killing batchwatch.
TEST(LoadKubeconfig, EntriesWithoutTheirBodyAreErrorsNotCrashes) {
  struct Case {
    const char* name;
    std::string text;
    std::string error_part;
  };
  const std::string context = "current-context: a\ncontexts:\n- name: a\n";
  Case cases[] = {
      {"cluster body misspelt",
       context + "  context: {cluster: c}\nclusters:\n- name: c\n  cluser: {server: 'http://h'}\n",
       "cluster \"c\" in kubeconfig has no server"},
      {"context body missing", context + "clusters:\n- name: c\n  cluster: {server: 'http://h'}\n",
       "cluster \"\" of context \"a\" not found"},
      {"user body missing",
       context + "  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: "
                 "{server: 'http://h'}\nusers:\n- name: u\n",
       ""},
  };
  std::string d = Dir();
  for (const auto& c : cases) {
    Write(d + "/kc-body", c.text);
    Connection conn;
    std::string error;
    bool ok = LoadKubeconfig({{d + "/kc-body"}, ""}, &conn, &error);
    if (c.error_part.empty()) {
      EXPECT_TRUE(ok) << c.name << ": " << error;  // a user without settings: no credentials
      EXPECT_EQ(conn.token, nullptr) << c.name;
    } else {
      EXPECT_FALSE(ok) << c.name;
      EXPECT_NE(error.find(c.error_part), std::string::npos) << c.name << ": " << error;
    }
  }
}

TEST(ResolveConnection, ModesAndErrors) {
  std::string d = Dir();
  Write(d + "/sa-token", "sa-token\n");
  mkdir((d + "/sa").c_str(), 0755);
  Write(d + "/sa/token", "in-cluster\n");
  Write(d + "/sa/ca.crt", Read(d + "/cert.pem"));
  unsetenv("KUBECONFIG");
  struct Case {
    const char* name;
    ConnectionFlags flags;
    const char* host;  // KUBERNETES_SERVICE_HOST (nullptr: unset)
    bool ok;
    std::string want;  // server or error part
  };
  ConnectionFlags apiserver;
  apiserver.apiserver = "http://127.0.0.1:8080/";
  ConnectionFlags bad_url = apiserver;
  bad_url.apiserver = "127.0.0.1:8080";
  ConnectionFlags missing_token = apiserver;
  missing_token.token_file = d + "/nope";
  ConnectionFlags bad_ca = apiserver;
  bad_ca.ca_file = d + "/sa-token";
  ConnectionFlags in_cluster;
  in_cluster.service_account_dir = d + "/sa";
  ConnectionFlags no_sa;
  no_sa.service_account_dir = d + "/none";
  ConnectionFlags context_only;
  context_only.context = "x";
  Case cases[] = {
      {"apiserver", apiserver, nullptr, true, "http://127.0.0.1:8080"},
      {"apiserver without scheme", bad_url, nullptr, false, "must look like https://host"},
      {"missing token file", missing_token, nullptr, false,
       "cannot read token file " + d + "/nope"},
      {"ca file not PEM", bad_ca, nullptr, false, "holds no PEM certificate"},
      {"in cluster", in_cluster, "10.96.0.1", true, "https://10.96.0.1:443"},
      {"in cluster ipv6", in_cluster, "fd00::1", true, "https://[fd00::1]:443"},
      {"in cluster without token", no_sa, "10.96.0.1", false, "cannot read token file"},
      {"not in a cluster", in_cluster, nullptr, false, "not running in a cluster"},
      {"context without kubeconfig", context_only, nullptr, false, "--context needs"},
  };
  for (const auto& c : cases) {
    if (c.host) {
      setenv("KUBERNETES_SERVICE_HOST", c.host, 1);
      setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    } else {
      unsetenv("KUBERNETES_SERVICE_HOST");
      unsetenv("KUBERNETES_SERVICE_PORT");
    }
    Connection conn;
    std::string error;
    bool ok = ResolveConnection(c.flags, &conn, &error);
    EXPECT_EQ(ok, c.ok) << c.name << ": " << error;
    if (ok) {
      EXPECT_EQ(conn.server, c.want) << c.name;
    } else {
      EXPECT_NE(error.find(c.want), std::string::npos) << c.name << ": " << error;
    }
  }
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST(FileTokenSource, RereadsAfterInvalidateAndKeepsOldTokenOnFailure) {
  std::string path = Dir() + "/rotating";
  Write(path, "one\n");
  FileTokenSource src(path, std::chrono::hours(1));
  std::string error;
  ASSERT_TRUE(src.Load(&error)) << error;
  Write(path, "two\n");
  EXPECT_EQ(src.Token(), "one");  // not re-read before the refresh period
  src.Invalidate();
  EXPECT_EQ(src.Token(), "two");
  unlink(path.c_str());
  src.Invalidate();
  EXPECT_EQ(src.Token(), "two");  // read failed: keep the old token
  Write(path, "   \n");
  src.Invalidate();
  EXPECT_EQ(src.Token(), "two");  // empty file: keep the old token
}

TEST(ExecTokenSource, UsesTokenUntilExpiry) {
  std::string d = Dir();
  std::string counter = d + "/exec-count";
  unlink(counter.c_str());
  Write(d + "/counting.sh",
        "#!/bin/sh\nn=$(cat " + counter + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
            counter +
            "\necho '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t'$n'\","
            "\"expirationTimestamp\":\"2023-03-28T10:40:00Z\"}}'\n",
        true);
  int64_t now = 1680000000 - 100;
  ExecConfig cfg;
  cfg.command = d + "/counting.sh";
  ExecTokenSource src(cfg, [&now] { return now; });
  std::string error;
  ASSERT_TRUE(src.Load(&error)) << error;
  EXPECT_EQ(src.Token(), "t1");
  EXPECT_EQ(src.Token(), "t1");
  now = 1680000000;  // expired
  EXPECT_EQ(src.Token(), "t2");
  src.Invalidate();  // after a 401
  EXPECT_EQ(src.Token(), "t3");
}

}  // namespace
}  // namespace batchwatch::kube

namespace batchwatch::kube {
namespace {

TEST(DescribeTransportFailure, NamesPlainHttpBehindAnHttpsUrl) {
  HttpResponse plain;
  plain.tls_error = true;
  plain.error = "OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number";
  std::string text = DescribeTransportFailure("https://127.0.0.1:8080", plain);
  EXPECT_NE(text.find("does not speak TLS"), std::string::npos) << text;
  EXPECT_EQ(text.find("check the CA"), std::string::npos) << text;

  HttpResponse untrusted;
  untrusted.tls_error = true;
  untrusted.error = "SSL certificate problem: unable to get local issuer certificate";
  text = DescribeTransportFailure("https://10.0.0.1:6443", untrusted);
  EXPECT_NE(text.find("check the CA"), std::string::npos) << text;

  HttpResponse refused;
  refused.error = "Couldn't connect to server";
  text = DescribeTransportFailure("https://10.0.0.1:6443", refused);
  EXPECT_NE(text.find("cannot reach the API server https://10.0.0.1:6443"), std::string::npos);
}

TEST(CheckApiServerUrl, NeedsAnHttpOrHttpsSchemeAndAHost) {
  std::string error;
  EXPECT_TRUE(CheckApiServerUrl("https://10.0.0.1:6443", &error));
  EXPECT_TRUE(CheckApiServerUrl("http://127.0.0.1:8080", &error));
  EXPECT_FALSE(CheckApiServerUrl("127.0.0.1:46089", &error));
  EXPECT_NE(error.find("has no scheme"), std::string::npos) << error;
  EXPECT_NE(error.find("https://127.0.0.1:46089"), std::string::npos) << error;
  EXPECT_FALSE(CheckApiServerUrl("ftp://host", &error));
  EXPECT_NE(error.find("\"ftp\""), std::string::npos) << error;
  EXPECT_FALSE(CheckApiServerUrl("https://", &error));
  EXPECT_NE(error.find("no host"), std::string::npos) << error;
}

}  // namespace
}  // namespace batchwatch::kube
