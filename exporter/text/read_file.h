// Reads a whole file, with the error a user can act on.
#pragma once

#include <string>

namespace batchwatch::text {

// false + *error = "cannot read [WHAT ]PATH: <reason>" when the file cannot be opened or read.
bool ReadWholeFile(const std::string& path, const std::string& what, std::string* out,
                   std::string* error);

}  // namespace batchwatch::text
