#include "kube/connection.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "batch/wall_clock.h"
#include "cron/controller.h"
#include "log/log.h"
#include "text/base64.h"
#include "text/read_file.h"

extern char** environ;

namespace batchwatch::kube {
namespace {

using text::ReadWholeFile;

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  if (path.size() > 1 && path[0] == '~' && path[1] == '/') {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + path.substr(1);
  }
  return base_dir + "/" + path;
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no PEM data found";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

int64_t NowUnix() { return batch::WallClockSeconds(); }

}  // namespace

std::string BracketHost(const std::string& host) {
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

bool ValidateCertificatePem(const std::string& pem, const std::string& what, std::string* error) {
  ERR_clear_error();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++count;
  }
  BIO_free(bio);
  if (count == 0) {
    *error = what + " holds no PEM certificate (" + OpenSslError() + ")";
    return false;
  }
  ERR_clear_error();  // the loop ends with a harmless "no start line"
  return true;
}

bool ValidatePrivateKeyPem(const std::string& pem, const std::string& what, std::string* error) {
  ERR_clear_error();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) {
    *error = what + " holds no PEM private key (" + OpenSslError() + ")";
    return false;
  }
  EVP_PKEY_free(key);
  return true;
}

// ---- FileTokenSource -----------------------------------------------------------------------

FileTokenSource::FileTokenSource(std::string path, std::chrono::seconds refresh)
    : path_(std::move(path)), refresh_(refresh) {}

bool FileTokenSource::Load(std::string* error) {
  std::string content;
  if (!ReadWholeFile(path_, "token file", &content, error)) return false;
  content = Trim(content);
  if (content.empty()) {
    *error = "token file " + path_ + " is empty";
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  token_ = std::move(content);
  next_read_ = std::chrono::steady_clock::now() + refresh_;
  return true;
}

std::string FileTokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now >= next_read_) {
    next_read_ = now + refresh_;
    std::string content, error;
    if (ReadWholeFile(path_, "token file", &content, &error) &&
        !(content = Trim(content)).empty()) {
      token_ = std::move(content);
    } else {
      // Keep the previous token: rotation may be mid-write.
      BW_LOG_WARN("cannot re-read token file, keeping the previous token",
                  {{"path", path_}, {"error", error.empty() ? "empty file" : error}});
    }
  }
  return token_;
}

void FileTokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  next_read_ = {};
}

// ---- ExecTokenSource -----------------------------------------------------------------------

ExecTokenSource::ExecTokenSource(ExecConfig config, std::function<int64_t()> now_unix)
    : config_(std::move(config)), now_unix_(now_unix ? std::move(now_unix) : NowUnix) {}

bool ExecTokenSource::Load(std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  return RunLocked(error);
}

std::string ExecTokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!valid_ || (expires_ != 0 && now_unix_() >= expires_)) {
    std::string error;
    if (!RunLocked(&error)) {
      BW_LOG_WARN("exec credential plugin failed, keeping the previous token",
                  {{"command", config_.command}, {"error", error}});
    }
  }
  return token_;
}

void ExecTokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  valid_ = false;
}

bool ExecTokenSource::RunLocked(std::string* error) {
  std::string command = config_.command;
  if (command.find('/') != std::string::npos) command = ResolvePath(config_.base_dir, command);
  std::vector<std::string> argv_s{command};
  argv_s.insert(argv_s.end(), config_.args.begin(), config_.args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "KUBERNETES_EXEC_INFO=", 21) == 0) continue;
    env_s.emplace_back(*e);
  }
  for (const auto& [k, v] : config_.env) env_s.push_back(k + "=" + v);
  nlohmann::json info = {{"apiVersion", config_.api_version},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  env_s.push_back("KUBERNETES_EXEC_INFO=" + info.dump());
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    *error = std::string("cannot create a pipe: ") + std::strerror(errno);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    *error = "cannot run exec credential plugin " + command + ": " + std::strerror(rc);
    return false;
  }
  std::string output;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{out_pipe[0], POLLIN, 0};
    int pr = poll(&pfd, 1, static_cast<int>(left));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    char buf[4096];
    ssize_t n = read(out_pipe[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < (1 << 20)) output.append(buf, static_cast<size_t>(n));
  }
  close(out_pipe[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    *error = "exec credential plugin " + command + " did not finish within 30s";
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *error = "exec credential plugin " + command + " failed (exit status " +
             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
    return false;
  }
  nlohmann::json cred = nlohmann::json::parse(output, nullptr, false);
  if (cred.is_discarded() || !cred.is_object() || !cred.contains("status") ||
      !cred["status"].is_object()) {
    *error = "exec credential plugin " + command + " printed no ExecCredential JSON";
    return false;
  }
  const auto& st = cred["status"];
  if (!st.contains("token") || !st["token"].is_string() || st["token"].get<std::string>().empty()) {
    *error = "exec credential plugin " + command +
             " returned no status.token (client certificates from plugins are not supported)";
    return false;
  }
  int64_t expires = 0;
  if (st.contains("expirationTimestamp") && st["expirationTimestamp"].is_string()) {
    auto t = cron::ParseRfc3339(st["expirationTimestamp"].get<std::string>());
    if (!t) {
      *error = "exec credential plugin " + command + " returned a bad expirationTimestamp";
      return false;
    }
    expires = *t;
  }
  token_ = st["token"].get<std::string>();
  expires_ = expires;
  valid_ = true;
  return true;
}

// ---- kubeconfig ----------------------------------------------------------------------------

namespace {

struct Named {
  YAML::Node node;
  std::string base_dir;
};

std::string Str(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap() || !n[key] || !n[key].IsScalar()) return "";
  return n[key].as<std::string>();
}

bool LoadPemField(const YAML::Node& n, const std::string& base_dir, const char* file_key,
                  const char* data_key, const std::string& where, std::string* out,
                  std::string* error) {
  std::string data = Str(n, data_key);
  std::string file = Str(n, file_key);
  if (!data.empty()) {
    if (!text::DecodeBase64Lenient(data, out)) {
      *error = where + "." + data_key + " is not valid base64";
      return false;
    }
    return true;
  }
  if (!file.empty())
    return ReadWholeFile(ResolvePath(base_dir, file), where + "." + file_key, out, error);
  return true;
}

}  // namespace

bool LoadKubeconfig(const KubeconfigSelection& sel, Connection* out, std::string* error) {
  std::map<std::string, Named> clusters, users, contexts;
  std::string current_context;
  int loaded = 0;
  std::string first_error;
  for (const auto& file : sel.files) {
    YAML::Node doc;
    try {
      doc = YAML::LoadFile(file);
    } catch (const YAML::BadFile&) {
      if (first_error.empty())
        first_error = "cannot read kubeconfig " + file + ": " + std::strerror(errno);
      if (sel.files.size() == 1) {
        *error = first_error;
        return false;
      }
      continue;  // $KUBECONFIG may list files that do not exist
    } catch (const YAML::Exception& e) {
      *error = "kubeconfig " + file + " is not valid YAML: " + e.what();
      return false;
    }
    ++loaded;
    if (!doc.IsMap()) {
      if (doc.IsNull()) continue;
      *error = "kubeconfig " + file + " is not a YAML mapping";
      return false;
    }
    std::string base = Dirname(file);
    auto collect = [&](const char* section, const char* inner,
                       std::map<std::string, Named>* into) -> bool {
      YAML::Node list = doc[section];
      if (!list) return true;
      if (!list.IsSequence()) {
        *error = "kubeconfig " + file + ": " + section + " is not a list";
        return false;
      }
      for (const auto& item : list) {
        std::string name = Str(item, "name");
        if (name.empty() || into->count(name)) continue;
        // An entry without its body (a typo such as "cluser:") is kept as a null node: looking
        // it up reports what is missing. Never assign yaml-cpp's invalid node (it throws).
        YAML::Node body;
        if (item[inner]) body = item[inner];
        into->emplace(name, Named{body, base});
      }
      return true;
    };
    if (!collect("clusters", "cluster", &clusters) || !collect("users", "user", &users) ||
        !collect("contexts", "context", &contexts)) {
      return false;
    }
    if (current_context.empty()) current_context = Str(doc, "current-context");
  }
  if (loaded == 0) {
    *error = first_error.empty() ? "no kubeconfig file given" : first_error;
    return false;
  }
  std::string files_desc;
  for (const auto& f : sel.files) files_desc += (files_desc.empty() ? "" : ":") + f;
  std::string ctx_name = sel.context.empty() ? current_context : sel.context;
  if (ctx_name.empty()) {
    *error = "kubeconfig " + files_desc + " has no current-context; pass --context";
    return false;
  }
  auto ctx = contexts.find(ctx_name);
  if (ctx == contexts.end()) {
    *error = "context \"" + ctx_name + "\" not found in kubeconfig " + files_desc;
    return false;
  }
  std::string cluster_name = Str(ctx->second.node, "cluster");
  std::string user_name = Str(ctx->second.node, "user");
  auto cl = clusters.find(cluster_name);
  if (cl == clusters.end()) {
    *error = "cluster \"" + cluster_name + "\" of context \"" + ctx_name +
             "\" not found in kubeconfig " + files_desc;
    return false;
  }
  Connection c;
  c.source = "kubeconfig " + files_desc + " context " + ctx_name;
  const YAML::Node& cn = cl->second.node;
  c.server = Str(cn, "server");
  if (c.server.empty()) {
    *error = "cluster \"" + cluster_name + "\" in kubeconfig has no server";
    return false;
  }
  std::string where = "cluster \"" + cluster_name + "\" certificate-authority";
  if (!LoadPemField(cn, cl->second.base_dir, "certificate-authority", "certificate-authority-data",
                    "cluster \"" + cluster_name + "\"", &c.ca_pem, error)) {
    return false;
  }
  if (!c.ca_pem.empty() && !ValidateCertificatePem(c.ca_pem, where, error)) return false;
  std::string insecure = Str(cn, "insecure-skip-tls-verify");
  c.insecure_skip_tls_verify = insecure == "true";

  if (!user_name.empty()) {
    auto us = users.find(user_name);
    if (us == users.end()) {
      *error = "user \"" + user_name + "\" of context \"" + ctx_name +
               "\" not found in kubeconfig " + files_desc;
      return false;
    }
    const YAML::Node& un = us->second.node;
    const std::string& base = us->second.base_dir;
    std::string uw = "user \"" + user_name + "\"";
    if (un && un.IsMap()) {
      if (un["auth-provider"]) {
        *error = uw +
                 " uses an auth-provider, which batchwatch does not support; use an exec "
                 "credential plugin or a token";
        return false;
      }
      if (un["username"] || un["password"]) {
        *error = uw + " uses basic authentication, which batchwatch does not support";
        return false;
      }
      if (!LoadPemField(un, base, "client-certificate", "client-certificate-data", uw,
                        &c.client_cert_pem, error) ||
          !LoadPemField(un, base, "client-key", "client-key-data", uw, &c.client_key_pem, error)) {
        return false;
      }
      if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
        *error = uw + " needs both a client certificate and a client key";
        return false;
      }
      if (!c.client_cert_pem.empty() &&
          (!ValidateCertificatePem(c.client_cert_pem, uw + " client certificate", error) ||
           !ValidatePrivateKeyPem(c.client_key_pem, uw + " client key", error))) {
        return false;
      }
      std::string token_file = Str(un, "tokenFile");
      std::string token = Str(un, "token");
      if (!token_file.empty()) {
        auto src = std::make_shared<FileTokenSource>(ResolvePath(base, token_file));
        if (!src->Load(error)) return false;
        c.token = src;
      } else if (!token.empty()) {
        c.token = std::make_shared<StaticTokenSource>(token);
      } else if (YAML::Node ex = un["exec"]; ex && ex.IsMap()) {
        ExecConfig cfg;
        cfg.base_dir = base;
        cfg.command = Str(ex, "command");
        if (!Str(ex, "apiVersion").empty()) cfg.api_version = Str(ex, "apiVersion");
        if (cfg.command.empty()) {
          *error = uw + " exec plugin has no command";
          return false;
        }
        if (cfg.api_version != "client.authentication.k8s.io/v1" &&
            cfg.api_version != "client.authentication.k8s.io/v1beta1") {
          *error = uw + " exec plugin apiVersion " + cfg.api_version +
                   " is not supported (use client.authentication.k8s.io/v1)";
          return false;
        }
        if (ex["args"] && ex["args"].IsSequence()) {
          for (const auto& a : ex["args"]) {
            if (!a.IsScalar()) {
              *error = uw + " exec plugin args must be strings";
              return false;
            }
            cfg.args.push_back(a.Scalar());
          }
        }
        if (ex["env"] && ex["env"].IsSequence()) {
          for (const auto& e : ex["env"]) cfg.env.emplace_back(Str(e, "name"), Str(e, "value"));
        }
        auto src = std::make_shared<ExecTokenSource>(std::move(cfg));
        if (!src->Load(error)) return false;
        c.token = src;
      }
    }
  }
  *out = std::move(c);
  return true;
}

// ---- ResolveConnection ---------------------------------------------------------------------

namespace {

bool ApplyOverrides(const ConnectionFlags& flags, Connection* c, std::string* error) {
  if (!flags.ca_file.empty()) {
    if (!ReadWholeFile(flags.ca_file, "CA file", &c->ca_pem, error) ||
        !ValidateCertificatePem(c->ca_pem, "CA file " + flags.ca_file, error)) {
      return false;
    }
  }
  if (!flags.token_file.empty()) {
    auto src = std::make_shared<FileTokenSource>(flags.token_file);
    if (!src->Load(error)) return false;
    c->token = src;
  }
  if (flags.insecure_skip_tls_verify) c->insecure_skip_tls_verify = true;
  return true;
}

bool ValidateServer(Connection* c, std::string* error) {
  while (!c->server.empty() && c->server.back() == '/') c->server.pop_back();
  if (!CheckApiServerUrl(c->server, error)) {
    *error += " (" + c->source + ")";
    return false;
  }
  return true;
}

}  // namespace

bool CheckApiServerUrl(const std::string& url, std::string* error) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    *error = "API server URL \"" + url +
             "\" has no scheme: it must look like https://host[:port] (write https://" + url +
             ", or http://" + url + " for a plain-HTTP test server)";
    return false;
  }
  std::string_view scheme = std::string_view(url).substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    *error = "API server URL \"" + url + "\" has scheme \"" + std::string(scheme) +
             "\": only https:// (or http:// for a plain-HTTP test server) is supported";
    return false;
  }
  if (url.size() == scheme_end + 3 || url[scheme_end + 3] == '/') {
    *error = "API server URL \"" + url + "\" has no host: it must look like https://host[:port]";
    return false;
  }
  return true;
}

bool ResolveConnection(const ConnectionFlags& flags, Connection* out, std::string* error) {
  Connection c;
  if (!flags.apiserver.empty()) {
    c.server = flags.apiserver;
    c.source = "--apiserver " + flags.apiserver;
  } else {
    std::vector<std::string> files;
    if (!flags.kubeconfig.empty()) {
      files.push_back(flags.kubeconfig);
    } else if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
      std::string list = env;
      size_t start = 0;
      while (start <= list.size()) {
        size_t colon = list.find(':', start);
        if (colon == std::string::npos) colon = list.size();
        if (colon > start) files.push_back(list.substr(start, colon - start));
        start = colon + 1;
      }
    }
    if (!files.empty()) {
      if (!LoadKubeconfig({files, flags.context}, &c, error)) return false;
    } else {
      if (!flags.context.empty()) {
        *error = "--context needs --kubeconfig or $KUBECONFIG";
        return false;
      }
      const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
      const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
      if (!host || !*host || !port || !*port) {
        *error =
            "not running in a cluster (KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are "
            "unset): pass --kubeconfig, set $KUBECONFIG, or pass --apiserver";
        return false;
      }
      c.server = "https://" + BracketHost(host) + ":" + port;
      c.source = "in-cluster service account " + flags.service_account_dir;
      if (flags.token_file.empty()) {
        auto src = std::make_shared<FileTokenSource>(flags.service_account_dir + "/token");
        if (!src->Load(error)) return false;
        c.token = src;
      }
      if (flags.ca_file.empty() && !flags.insecure_skip_tls_verify) {
        std::string ca_path = flags.service_account_dir + "/ca.crt";
        if (!ReadWholeFile(ca_path, "service account CA", &c.ca_pem, error) ||
            !ValidateCertificatePem(c.ca_pem, "service account CA " + ca_path, error)) {
          return false;
        }
      }
    }
  }
  if (!ApplyOverrides(flags, &c, error) || !ValidateServer(&c, error)) return false;
  *out = std::move(c);
  return true;
}

}  // namespace batchwatch::kube
