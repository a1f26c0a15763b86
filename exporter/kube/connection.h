// How batchwatch reaches the API server: --apiserver, a kubeconfig ($KUBECONFIG / --kubeconfig,
// --context) or the in-cluster service account. ResolveConnection loads and validates every
// file up front so that misconfiguration is a clear startup error, not a retry loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace batchwatch::kube {

// Supplies the bearer token for each request. Tokens rotate (projected service-account tokens,
// exec plugins), so the token is fetched per request and invalidated after a 401.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The current token ("" when none could ever be obtained).
  virtual std::string Token() = 0;
  // The server answered 401: the next Token() call must refresh.
  virtual void Invalidate() = 0;
  // For error messages; never contains the token.
  virtual std::string Describe() const = 0;
};

// A token file, re-read at most every `refresh` and after Invalidate(). A failed read keeps the
// previous token (rotation writes files non-atomically on some volumes).
class FileTokenSource : public TokenSource {
 public:
  explicit FileTokenSource(std::string path,
                           std::chrono::seconds refresh = std::chrono::seconds(60));
  // Reads the file once; false + *error when it cannot be read or is empty.
  bool Load(std::string* error);
  std::string Token() override;
  void Invalidate() override;
  std::string Describe() const override { return "token file " + path_; }

 private:
  const std::string path_;
  const std::chrono::seconds refresh_;
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point next_read_{};
};

class StaticTokenSource : public TokenSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  std::string Token() override { return token_; }
  void Invalidate() override {}
  std::string Describe() const override { return "static token"; }

 private:
  const std::string token_;
};

// A kubeconfig exec credential plugin (client.authentication.k8s.io/v1 and v1beta1).
struct ExecConfig {
  std::string api_version = "client.authentication.k8s.io/v1";
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string base_dir;  // relative commands with a '/' resolve against the kubeconfig's folder
};

// Runs the plugin and uses its token until status.expirationTimestamp (or until a 401 when
// it gives none).
class ExecTokenSource : public TokenSource {
 public:
  explicit ExecTokenSource(ExecConfig config, std::function<int64_t()> now_unix = nullptr);
  // Runs the plugin once; false + *error when it fails or returns no token.
  bool Load(std::string* error);
  std::string Token() override;
  void Invalidate() override;
  std::string Describe() const override { return "exec plugin " + config_.command; }

 private:
  bool RunLocked(std::string* error);

  const ExecConfig config_;
  std::function<int64_t()> now_unix_;
  std::mutex mu_;
  std::string token_;
  int64_t expires_ = 0;  // 0: no expiry given
  bool valid_ = false;
};

// Everything needed to talk to one API server. Copyable; the token source is shared.
struct Connection {
  std::string server;  // scheme://host[:port][/path], no trailing '/'
  std::string ca_pem;  // trusted CAs (PEM); empty: the system trust store
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;  // client certificate authentication (both or neither)
  std::string client_key_pem;
  std::shared_ptr<TokenSource> token;  // nullptr: no bearer token
  std::string source;                  // how it was configured, for logs ("kubeconfig ...")
};

struct ConnectionFlags {
  std::string apiserver, kubeconfig, context, token_file, ca_file;
  bool insecure_skip_tls_verify = false;
  // Where the in-cluster service account is mounted (tests point it elsewhere).
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// Resolves --apiserver / --kubeconfig (or $KUBECONFIG) / in-cluster, loads files, validates PEM.
// false + a user-actionable *error on misconfiguration.
bool ResolveConnection(const ConnectionFlags& flags, Connection* out, std::string* error);

// An API server URL must be http(s)://host[...]; false + *error saying what is missing. The
// startup check of --apiserver (a malformed flag) and of kubeconfig servers.
bool CheckApiServerUrl(const std::string& url, std::string* error);

// Building blocks, exposed for tests.
struct KubeconfigSelection {
  std::vector<std::string> files;  // $KUBECONFIG order; the first file defining a name wins
  std::string context;             // "" = current-context
};
bool LoadKubeconfig(const KubeconfigSelection& sel, Connection* out, std::string* error);
// Checks that `pem` holds at least one certificate (what = "certificate-authority" etc.).
bool ValidateCertificatePem(const std::string& pem, const std::string& what, std::string* error);
bool ValidatePrivateKeyPem(const std::string& pem, const std::string& what, std::string* error);
// "[::1]" for IPv6 literals, the host unchanged otherwise.
std::string BracketHost(const std::string& host);

}  // namespace batchwatch::kube
