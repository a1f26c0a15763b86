// Why a request to the API server got no HTTP answer, phrased for the user who has to fix it.
#pragma once

#include <string>

#include "kube/http_client.h"

namespace batchwatch::kube {

// For a response with status 0 (no HTTP answer): a TLS handshake with a plain-HTTP port says
// the server does not speak TLS; a certificate failure points at the CA settings; anything else
// is "cannot reach".
std::string DescribeTransportFailure(const std::string& server, const HttpResponse& resp);

}  // namespace batchwatch::kube
