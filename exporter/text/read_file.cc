#include "text/read_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace batchwatch::text {

bool ReadWholeFile(const std::string& path, const std::string& what, std::string* out,
                   std::string* error) {
  const std::string name = what.empty() ? path : what + " " + path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + name + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read " + name + ": read error";
    return false;
  }
  *out = ss.str();
  return true;
}

}  // namespace batchwatch::text
