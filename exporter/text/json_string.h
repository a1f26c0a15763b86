// A JSON string literal: quotes, backslashes and control characters escaped (\n \r \t by name,
// the rest as \u00XX); other bytes, UTF-8 included, pass through unchanged.
#pragma once

#include <string>
#include <string_view>

namespace batchwatch::text {

void AppendJsonString(std::string* out, std::string_view s);
std::string JsonString(std::string_view s);

}  // namespace batchwatch::text
