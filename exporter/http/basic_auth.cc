#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <cstring>
#include <memory>

#include "text/base64.h"

namespace batchwatch::http {
namespace {

// Checked instead of an unknown user's hash so that "no such user" takes as long as "wrong
// password" and user names cannot be probed by timing. Its password is irrelevant.
constexpr char kDummyHash[] = "$2b$10$CbXfXjZCuILu8Xqgjy8XqOTh7qkFXdhOvaEvG/UOTb6OnlMPY4HYG";

constexpr char kBcryptAlphabet[] =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::string CacheKey(const std::string& user, const std::string& hash,
                     const std::string& password) {
  // Length-prefixed so that no two different triples hash the same input.
  std::string input;
  for (const std::string* part : {&user, &hash, &password}) {
    input += std::to_string(part->size());
    input += ':';
    input += *part;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<char*>(digest), len);
}

}  // namespace

bool IsBcryptHash(const std::string& hash, std::string* why) {
  // $2b$10$ + 22 characters of salt + 31 of hash = 60.
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' ||
      (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$' || hash[6] != '$' ||
      !std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5]))) {
    *why =
        "not a bcrypt hash (expected 60 characters starting with $2y$, $2b$ or $2a$; "
        "create one with `htpasswd -nBC 10 \"\" | tr -d ':\\n'`)";
    return false;
  }
  int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) {
    *why = "bcrypt cost " + hash.substr(4, 2) + " is outside 04..31";
    return false;
  }
  if (hash.find_first_not_of(kBcryptAlphabet, 7) != std::string::npos) {
    *why = "not a bcrypt hash (unexpected character after the cost)";
    return false;
  }
  return true;
}

bool BcryptMatches(const std::string& password, const std::string& hash) {
  // crypt_r reads a C string: a NUL would silently cut the password short.
  if (password.find('\0') != std::string::npos) return false;
  // struct crypt_data is 32 KiB: keep it off server threads' stacks.
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  // Failure is NULL or a string starting with '*', which never equals a valid hash.
  if (out == nullptr || out[0] == '*') return false;
  size_t n = std::strlen(out);
  return n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
}

bool ParseBasicAuthorization(const char* header, std::string* user, std::string* password) {
  if (header == nullptr) return false;
  std::string v(header);
  if (v.size() < 6) return false;
  std::string scheme = v.substr(0, 6);
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "basic ") return false;
  size_t b = v.find_first_not_of(' ', 6);
  if (b == std::string::npos) return false;
  size_t e = v.find_last_not_of(' ');
  std::string decoded;
  if (!text::DecodeBase64Strict(v.substr(b, e - b + 1), &decoded)) return false;
  auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  return true;
}

BasicAuthenticator::BasicAuthenticator(std::map<std::string, std::string> users)
    : users_(std::move(users)) {}

bool BasicAuthenticator::Allows(const char* authorization_header) {
  if (users_.empty()) return true;
  std::string user, password;
  if (!ParseBasicAuthorization(authorization_header, &user, &password)) return false;
  auto it = users_.find(user);
  bool known = it != users_.end();
  const std::string hash = known ? it->second : std::string(kDummyHash);
  std::string key = CacheKey(user, hash, password);
  if (!key.empty()) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto hit = cache_.find(key);
    if (hit != cache_.end()) return hit->second;
  }
  bool ok;
  {
    std::lock_guard<std::mutex> lock(bcrypt_mu_);
    ++bcrypt_runs_;
    ok = BcryptMatches(password, hash) && known;
  }
  // Only successes are cached: failures from a client guessing passwords must not evict the
  // entries of legitimate scrapers.
  if (ok && !key.empty()) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.emplace(key, ok).second) {
      cache_order_.push_back(key);
      if (cache_order_.size() > kCacheSize) {
        cache_.erase(cache_order_.front());
        cache_order_.pop_front();
      }
    }
  }
  return ok;
}

}  // namespace batchwatch::http
