// libFuzzer target: any bytes as a kubeconfig file. LoadKubeconfig must never crash or throw,
// and every rejection explains itself.
//
// Safety: a kubeconfig can name an exec credential plugin and files to read. PATH points at an
// empty folder and inputs whose values contain '/' are skipped, so no plugin can ever run and
// only the files the harness puts next to the kubeconfig (token, ca.crt, client.crt,
// client.key) can be read.
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "kube/connection.h"
#include "log/log.h"

namespace bk = batchwatch::kube;

namespace {

std::string g_dir;

void Write(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size()) std::abort();
  std::fclose(f);
}

// True when some scalar in the document could make LoadKubeconfig reach outside the harness
// folder (a path or a plugin command with '/', or "~").
bool Escapes(const YAML::Node& n, int depth) {
  if (depth > 64) return true;
  switch (n.Type()) {
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      return s.find('/') != std::string::npos || s.find('~') != std::string::npos ||
             s.find("..") != std::string::npos;
    }
    case YAML::NodeType::Sequence:
      for (const auto& item : n)
        if (Escapes(item, depth + 1)) return true;
      return false;
    case YAML::NodeType::Map:
      for (const auto& kv : n) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
        // Values that are never paths or commands.
        if (key == "server" || key == "apiVersion" || key == "certificate-authority-data" ||
            key == "client-certificate-data" || key == "client-key-data" || key == "token")
          continue;
        if (Escapes(kv.first, depth + 1) || Escapes(kv.second, depth + 1)) return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  batchwatch::log::SetLevel(batchwatch::log::Level::kError);
  char tmpl[] = "/tmp/bw-fuzz-kubeconfig-XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  g_dir = tmpl;
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(g_dir, ignored);
  });
  std::string empty_path = g_dir + "/no-plugins";
  if (mkdir(empty_path.c_str(), 0700) != 0) std::abort();
  Write(g_dir + "/token", "bw-fuzz-token\n");
  // A throwaway certificate and key, made before PATH is emptied (so kept out of the repo).
  std::string make_cert =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj /CN=bw-fuzz -keyout " +
      g_dir + "/client.key -out " + g_dir + "/client.crt 2>/dev/null";
  if (std::system(make_cert.c_str()) != 0) std::abort();
  if (std::system(("cp " + g_dir + "/client.crt " + g_dir + "/ca.crt").c_str()) != 0) std::abort();
  Write(g_dir + "/bad.crt", "not a certificate\n");
  setenv("PATH", empty_path.c_str(), 1);
  setenv("HOME", empty_path.c_str(), 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // The harness's own screening parse: inputs it cannot parse are parsed by LoadKubeconfig
  // too (and rejected there), but only when they cannot reach the exec plugin.
  try {
    YAML::Node doc = YAML::Load(text);
    if (Escapes(doc, 0)) return 0;
  } catch (const YAML::Exception&) {
    if (text.find("exec") != std::string::npos) return 0;
  }
  const std::string path = g_dir + "/kubeconfig";
  Write(path, text);
  for (const char* context : {"", "other"}) {
    bk::Connection c;
    std::string error;
    if (!bk::LoadKubeconfig({{path}, context}, &c, &error)) {
      if (error.empty()) std::abort();
    } else if (c.server.empty()) {
      std::abort();
    }
  }
  return 0;
}

// UndefinedBehaviorSanitizer findings are crashes too (the libraries are built recoverable).
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }
