#include "text/base64.h"

#include <cstdint>

namespace batchwatch::text {
namespace {

int StandardValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

bool DecodeBase64Lenient(std::string_view in, std::string* out) {
  out->clear();
  unsigned buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : in) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    int v = c == '-' ? 62 : c == '_' ? 63 : StandardValue(c);
    if (v < 0 || padding) return false;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return bits < 6;  // leftover bits are padding only
}

bool DecodeBase64Strict(std::string_view in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  out->clear();
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    for (int j = 0; j < 4; ++j) {
      char c = in[i + static_cast<size_t>(j)];
      bool last_group = i + 4 == in.size();
      if (c == '=' && last_group && j >= 2) {
        v[j] = -2;
      } else {
        v[j] = StandardValue(c);
        if (v[j] < 0) return false;
      }
    }
    if (v[2] == -2 && v[3] != -2) return false;
    uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2] < 0 ? 0 : v[2]) << 6) |
                 static_cast<uint32_t>(v[3] < 0 ? 0 : v[3]);
    out->push_back(static_cast<char>((n >> 16) & 0xff));
    if (v[2] >= 0) out->push_back(static_cast<char>((n >> 8) & 0xff));
    if (v[3] >= 0) out->push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

}  // namespace batchwatch::text
