// Base64 decoding, by the rule each input needs.
#pragma once

#include <string>
#include <string_view>

namespace batchwatch::text {

// Kubeconfig `*-data` fields as client-go reads them, and as people paste them: whitespace and
// line breaks are skipped, padding is optional, the URL-safe alphabet ('-', '_') is accepted.
bool DecodeBase64Lenient(std::string_view in, std::string* out);

// An Authorization header's credentials: RFC 4648 standard alphabet, padded to a multiple of 4,
// nothing else (what browsers and Prometheus send).
bool DecodeBase64Strict(std::string_view in, std::string* out);

}  // namespace batchwatch::text
