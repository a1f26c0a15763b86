// HTTP basic authentication against bcrypt hashes, as exporter-toolkit's basic_auth_users does:
// every endpoint is protected, unknown users cost as much as known ones, and verified
// credentials are cached so that a scrape every few seconds does not pay bcrypt's cost each time.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace batchwatch::http {

// True when `hash` is a bcrypt hash ($2a$, $2b$ or $2y$, cost 04..31); *why says what is wrong.
bool IsBcryptHash(const std::string& hash, std::string* why);

// True when `password` matches the bcrypt `hash` (libxcrypt's crypt_r; the final comparison is
// constant-time). Slow by design: about 70 ms at cost 10.
bool BcryptMatches(const std::string& password, const std::string& hash);

// Decodes an Authorization header value "Basic <base64(user:password)>". false when the header
// is absent, uses another scheme, or is malformed.
bool ParseBasicAuthorization(const char* header, std::string* user, std::string* password);

class BasicAuthenticator {
 public:
  // users: user -> bcrypt hash. No users: everything is allowed.
  explicit BasicAuthenticator(std::map<std::string, std::string> users = {});

  bool enabled() const { return !users_.empty(); }
  // True when the Authorization header value carries a known user and its password.
  // Thread-safe.
  bool Allows(const char* authorization_header);
  // bcrypt computations so far, i.e. cache misses.
  uint64_t bcrypt_runs() const { return bcrypt_runs_.load(); }

 private:
  static constexpr size_t kCacheSize = 100;

  std::map<std::string, std::string> users_;
  // One bcrypt at a time: a flood of wrong passwords costs at most one core.
  std::mutex bcrypt_mu_;
  std::mutex cache_mu_;
  // SHA-256 of (user, hash, password) of verified credentials; never the password itself.
  std::unordered_map<std::string, bool> cache_;
  std::deque<std::string> cache_order_;  // oldest first, for eviction
  std::atomic<uint64_t> bcrypt_runs_{0};
};

}  // namespace batchwatch::http
