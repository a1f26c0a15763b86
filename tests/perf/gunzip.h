// Inflates one gzip member with zlib (which checks the trailer's CRC-32 and ISIZE), for the
// tests of the server's gzip (gzip_test.cc) and of the pieces' deflate forms (exposition_test.cc).
#pragma once

#include <zlib.h>

#include <string>

namespace batchwatch::testing {

// The inflated bytes; *rc is zlib's last status (Z_STREAM_END for a whole, valid member) and
// *left the input bytes not consumed.
inline std::string Gunzip(const std::string& in, int* rc, size_t* left) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  *rc = Z_OK;
  while (*rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    *rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  *left = zs.avail_in;
  inflateEnd(&zs);
  return out;
}

}  // namespace batchwatch::testing
