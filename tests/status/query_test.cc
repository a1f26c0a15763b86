// web::RelativeRoot against the way a browser resolves a relative link (RFC 3986 section 5.2:
// merge with the base path's directory, then remove dot segments), behind a proxy prefix too.
#include "web/query.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace batchwatch::web {
namespace {

// RFC 3986 5.2.4 remove_dot_segments, for absolute paths.
std::string RemoveDotSegments(std::string in) {
  std::string out;
  while (!in.empty()) {
    if (in.rfind("/./", 0) == 0) {
      in.erase(0, 2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.rfind("/../", 0) == 0 || in == "/..") {
      in = in == "/.." ? "/" : in.substr(3);
      const size_t last = out.rfind('/');
      out.erase(last == std::string::npos ? 0 : last);
    } else {
      const size_t next = in.find('/', 1);
      out += in.substr(0, next);
      in.erase(0, next == std::string::npos ? in.size() : next);
    }
  }
  return out;
}

// Where a browser at `base_path` (the raw path of its URL) goes for the relative link `ref`.
std::string Resolve(const std::string& base_path, const std::string& ref) {
  return RemoveDotSegments(base_path.substr(0, base_path.rfind('/') + 1) + ref);
}

// Raw request paths, as the browser sent them: a percent-encoded slash is no '/' to it.
const char* const kRawPaths[] = {
    "/",
    "/x",
    "/cronjobs/ops/backup",
    "/jobgroups/ops/etl.nightly",
    "/cronjobs/ops/a%2Fb",    // %2F inside a name: one segment for the browser
    "/cronjobs/a%2Fb/c",      // ... inside a namespace
    "/cronjobs/ops/na%20me",  // a character that needs encoding
    "/cronjobs//ops/backup",  // an empty segment is a level too
    "/cronjobs/ops/backup/",  // so is a trailing slash
    "/api/v1/cronjobs/ops/x%2Fy",
};

TEST(RelativeRoot, LeadsFromTheRawPathBackToTheRootBehindAnyPrefix) {
  for (const char* raw : kRawPaths) {
    const std::string root = RelativeRoot(raw);
    for (const std::string prefix : {"", "/batchwatch", "/a/b"}) {
      EXPECT_EQ(Resolve(prefix + raw, root + "static/batchwatch.css"),
                prefix + "/static/batchwatch.css")
          << raw << " under \"" << prefix << "\": root " << root;
    }
  }
  EXPECT_EQ(RelativeRoot("/"), "./");
  EXPECT_EQ(RelativeRoot("/cronjobs/ops/a%2Fb"), "../../");
}

// Why it must be given the raw path: decoding first turns %2F into a directory level the
// browser never saw, and the links then climb one level too far (out of a proxy's prefix).
TEST(RelativeRoot, ADecodedPathCountsAnEncodedSlashAsALevel) {
  const std::string raw = "/cronjobs/ops/a%2Fb";
  const std::string decoded = UrlDecode(raw);
  ASSERT_EQ(decoded, "/cronjobs/ops/a/b");
  EXPECT_NE(Resolve("/batchwatch" + raw, RelativeRoot(decoded) + "static/batchwatch.css"),
            "/batchwatch/static/batchwatch.css");
}

}  // namespace
}  // namespace batchwatch::web
