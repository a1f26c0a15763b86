#include "http/basic_auth.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace batchwatch::http {
namespace {

// "s3cret" at cost 4, as $2y$ (htpasswd), $2b$ (python, Go) and $2a$ (older tools).
constexpr char k2y[] = "$2y$04$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6mC";
constexpr char k2b[] = "$2b$04$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6mC";
constexpr char k2a[] = "$2a$04$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6mC";

TEST(Bcrypt, Matches) {
  struct Case {
    const char* name;
    std::string password;
    const char* hash;
    bool match;
  } cases[] = {
      {"$2y$ right password", "s3cret", k2y, true},
      {"$2b$ right password", "s3cret", k2b, true},
      {"$2a$ right password", "s3cret", k2a, true},
      {"wrong password", "s3cret!", k2y, false},
      {"empty password", "", k2y, false},
      {"prefix of the password", "s3cre", k2y, false},
      {"NUL after the right password", std::string("s3cret\0x", 8), k2y, false},
      {"hash cut short", "s3cret", "$2y$04$DQ4ZMWM7oAApKMRBH3xrY.", false},
      {"not a hash", "s3cret", "s3cret", false},
      {"empty hash", "", "", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(BcryptMatches(c.password, c.hash), c.match) << c.name;
  }
}

TEST(Bcrypt, HashShape) {
  struct Case {
    const char* hash;
    bool ok;
  } cases[] = {
      {k2y, true},
      {k2b, true},
      {k2a, true},
      {"$2x$04$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6mC", false},
      {"$2y$03$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6mC", false},
      {"$2y$32$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6mC", false},
      {"$2y$04$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6m", false},
      {"$2y$04$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6m!", false},
      {"$6$salt$hash", false},
      {"plaintext", false},
      {"", false},
  };
  for (const auto& c : cases) {
    std::string why;
    EXPECT_EQ(IsBcryptHash(c.hash, &why), c.ok) << c.hash;
    EXPECT_EQ(why.empty(), c.ok) << c.hash;
  }
}

TEST(BasicAuthorizationHeader, Parsing) {
  struct Case {
    const char* header;
    bool ok;
    std::string user, password;
  } cases[] = {
      {"Basic cHJvbWV0aGV1czpzM2NyZXQ=", true, "prometheus", "s3cret"},
      {"basic cHJvbWV0aGV1czpzM2NyZXQ=", true, "prometheus", "s3cret"},
      {"Basic   cHJvbWV0aGV1czpzM2NyZXQ=  ", true, "prometheus", "s3cret"},
      {"Basic dTpwOnE=", true, "u", "p:q"},  // only the first colon splits
      {"Basic OnA=", true, "", "p"},
      {"Basic dTo=", true, "u", ""},
      {"Basic cHJvbWV0aGV1cw==", false, "", ""},          // no colon
      {"Basic cHJvbWV0aGV1czpzM2NyZXQ", false, "", ""},   // unpadded
      {"Basic cHJvbW=0aGV1czpzM2NyZXQ=", false, "", ""},  // padding inside
      {"Basic !!!!", false, "", ""},
      {"Basic ", false, "", ""},
      {"Basic", false, "", ""},
      {"Bearer cHJvbWV0aGV1czpzM2NyZXQ=", false, "", ""},
      {"", false, "", ""},
      {nullptr, false, "", ""},
  };
  for (const auto& c : cases) {
    std::string user, password;
    SCOPED_TRACE(c.header == nullptr ? "(null)" : c.header);
    EXPECT_EQ(ParseBasicAuthorization(c.header, &user, &password), c.ok);
    if (c.ok) {
      EXPECT_EQ(user, c.user);
      EXPECT_EQ(password, c.password);
    }
  }
}

TEST(BasicAuthenticator, NoUsersAllowsEverything) {
  BasicAuthenticator auth;
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(auth.Allows(nullptr));
  EXPECT_TRUE(auth.Allows("Basic !!!!"));
}

TEST(BasicAuthenticator, VerifiedCredentialsAreCachedFailuresAreNot) {
  BasicAuthenticator auth(std::map<std::string, std::string>{{"prometheus", k2y}});
  const char* right = "Basic cHJvbWV0aGV1czpzM2NyZXQ=";  // prometheus:s3cret
  const char* wrong = "Basic cHJvbWV0aGV1czpzM2NyZXQh";  // prometheus:s3cret!
  const char* unknown = "Basic bm9ib2R5OnMzY3JldA==";    // nobody:s3cret
  EXPECT_TRUE(auth.Allows(right));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  EXPECT_TRUE(auth.Allows(right));
  EXPECT_TRUE(auth.Allows(right));
  EXPECT_EQ(auth.bcrypt_runs(), 1u) << "a repeated scrape must not pay bcrypt again";
  EXPECT_FALSE(auth.Allows(wrong));
  EXPECT_FALSE(auth.Allows(wrong));
  EXPECT_EQ(auth.bcrypt_runs(), 3u) << "failures are not cached (they could evict real users)";
  // An unknown user costs a bcrypt run too, so user names cannot be probed by timing.
  EXPECT_FALSE(auth.Allows(unknown));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
  EXPECT_FALSE(auth.Allows(nullptr));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
}

TEST(BasicAuthenticator, CacheIsBoundedAndStillCorrectAfterEviction) {
  std::map<std::string, std::string> users;
  for (int i = 0; i < 150; ++i) users["u" + std::to_string(i)] = k2y;
  BasicAuthenticator auth(users);
  auto header = [](int i) {
    // base64 of "u<i>:s3cret" computed by hand is impractical here; build it.
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string in = "u" + std::to_string(i) + ":s3cret", out;
    for (size_t p = 0; p < in.size(); p += 3) {
      uint32_t n = static_cast<unsigned char>(in[p]) << 16;
      if (p + 1 < in.size()) n |= static_cast<unsigned char>(in[p + 1]) << 8;
      if (p + 2 < in.size()) n |= static_cast<unsigned char>(in[p + 2]);
      out += abc[(n >> 18) & 63];
      out += abc[(n >> 12) & 63];
      out += p + 1 < in.size() ? abc[(n >> 6) & 63] : '=';
      out += p + 2 < in.size() ? abc[n & 63] : '=';
    }
    return "Basic " + out;
  };
  for (int i = 0; i < 150; ++i) EXPECT_TRUE(auth.Allows(header(i).c_str())) << i;
  EXPECT_EQ(auth.bcrypt_runs(), 150u);
  EXPECT_TRUE(auth.Allows(header(149).c_str()));  // recent: cached
  EXPECT_EQ(auth.bcrypt_runs(), 150u);
  EXPECT_TRUE(auth.Allows(header(0).c_str()));  // evicted: verified again, still allowed
  EXPECT_EQ(auth.bcrypt_runs(), 151u);
}

}  // namespace
}  // namespace batchwatch::http
