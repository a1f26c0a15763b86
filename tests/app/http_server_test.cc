#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "http/server.h"
#include "web_test_util.h"

namespace batchwatch::http {
namespace {

using testing::RawGet;

std::string Body(const std::string& response) {
  auto pos = response.find("\r\n\r\n");
  return pos == std::string::npos ? "" : response.substr(pos + 4);
}

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(8 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Handlers h;
    h.metrics = [](batchwatch::metrics::Exposition* out) {
      out->Add(std::string("# TYPE up gauge\nup 1\n"));
    };
    h.unsynced = [this] { return unsynced_; };
    ServerOptions opts;
    opts.listen_address = "127.0.0.1:0";
    std::string error;
    ASSERT_TRUE(server_.Start(opts, h, &error)) << error;
    ASSERT_GT(server_.port(), 0);
  }
  Server server_;
  std::vector<std::string> unsynced_{"jobs", "cronjobs"};
};

TEST_F(ServerTest, MetricsHasTextFormatContentType) {
  std::string r = RawGet(server_.port(), "/metrics");
  EXPECT_NE(r.find(" 200 "), std::string::npos) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"), std::string::npos);
  EXPECT_EQ(Body(r), "# TYPE up gauge\nup 1\n");
}

TEST_F(ServerTest, MetricsIsGzippedWhenAsked) {
  std::string r = RawGet(server_.port(), "/metrics", "Accept-Encoding: gzip, deflate\r\n");
  EXPECT_NE(r.find("Content-Encoding: gzip"), std::string::npos) << r;
  EXPECT_EQ(Gunzip(Body(r)), "# TYPE up gauge\nup 1\n");
  std::string refused = RawGet(server_.port(), "/metrics", "Accept-Encoding: gzip;q=0\r\n");
  EXPECT_EQ(refused.find("Content-Encoding: gzip"), std::string::npos);
}

// A body of many pieces, larger than the server's 256 KiB send buffer: the plain body is the
// pieces in order, the gzip body inflates to the same bytes, and Content-Length is exact.
TEST(ServerMetrics, ManyPiecesPlainAndGzipAreTheSameBody) {
  std::vector<std::shared_ptr<const metrics::Piece>> pieces;
  std::string want;
  for (int i = 0; i < 700; ++i) {
    std::string text;
    for (int k = 0; k < 40; ++k) {
      text += "batchwatch_job_active_pods{job_name=\"j-" + std::to_string(i * 40 + k) + "\"} " +
              std::to_string(k) + "\n";
    }
    if (i % 100 == 7) text.clear();  // empty pieces are left out
    want += text;
    pieces.push_back(std::make_shared<const metrics::Piece>(std::move(text)));
  }
  Handlers h;
  h.metrics = [&pieces](metrics::Exposition* out) {
    for (const auto& p : pieces) out->Add(p);
  };
  h.unsynced = [] { return std::vector<std::string>(); };
  ServerOptions opts;
  opts.listen_address = "127.0.0.1:0";
  Server server;
  std::string error;
  ASSERT_TRUE(server.Start(opts, h, &error)) << error;
  ASSERT_GT(want.size(), size_t{1} << 20);

  EXPECT_FALSE(server.GzipScrapedWithin(600));
  const std::string plain = RawGet(server.port(), "/metrics");
  EXPECT_EQ(Body(plain), want);
  EXPECT_NE(plain.find("Content-Length: " + std::to_string(want.size()) + "\r\n"),
            std::string::npos);
  EXPECT_FALSE(server.GzipScrapedWithin(600)) << "a plain scrape is not a gzip one";

  for (int round = 0; round < 2; ++round) {  // the second finds every deflate form made
    const std::string gz = RawGet(server.port(), "/metrics", "Accept-Encoding: gzip\r\n");
    EXPECT_NE(gz.find("Content-Encoding: gzip"), std::string::npos);
    EXPECT_NE(gz.find("Content-Length: " + std::to_string(Body(gz).size()) + "\r\n"),
              std::string::npos);
    EXPECT_EQ(Gunzip(Body(gz)), want) << "round " << round;
  }
  EXPECT_TRUE(server.GzipScrapedWithin(600));
  server.Stop();
}

TEST_F(ServerTest, ReadyzNamesWhatIsMissingUntilSynced) {
  std::string r = RawGet(server_.port(), "/readyz");
  EXPECT_NE(r.find(" 503 "), std::string::npos) << r;
  EXPECT_NE(Body(r).find("jobs cronjobs"), std::string::npos) << r;
  unsynced_.clear();
  r = RawGet(server_.port(), "/readyz");
  EXPECT_NE(r.find(" 200 "), std::string::npos) << r;
}

TEST_F(ServerTest, HealthzLandingAndNotFound) {
  EXPECT_NE(RawGet(server_.port(), "/healthz").find(" 200 "), std::string::npos);
  std::string landing = RawGet(server_.port(), "/");
  EXPECT_NE(landing.find("href=\"metrics\""), std::string::npos);
  EXPECT_NE(landing.find("href=\"readyz\""), std::string::npos);
  EXPECT_NE(RawGet(server_.port(), "/nope").find(" 404 "), std::string::npos);
}

TEST_F(ServerTest, BusyPortIsAnErrorNotACrash) {
  Server second;
  ServerOptions opts;
  opts.listen_address = "127.0.0.1:" + std::to_string(server_.port());
  Handlers h;
  h.metrics = [](batchwatch::metrics::Exposition*) {};
  h.unsynced = [] { return std::vector<std::string>{}; };
  std::string error;
  EXPECT_FALSE(second.Start(opts, h, &error));
  EXPECT_NE(error.find("cannot listen on 127.0.0.1:"), std::string::npos) << error;
}

TEST(ListenAddress, Forms) {
  struct Case {
    std::string in, out;
    bool ok;
  } cases[] = {
      {":9981", "0.0.0.0:9981", true},
      {"127.0.0.1:80", "127.0.0.1:80", true},
      {"localhost:1", "127.0.0.1:1", true},
      {"[::1]:9981", "[::1]:9981", true},
      {"9981", "", false},
      {"::1:9981", "", false},
      {"host:99999", "", false},
      {"host:", "", false},
      {"[::1:5", "", false},
  };
  for (const auto& c : cases) {
    std::string out, error;
    EXPECT_EQ(ToCivetwebListen(c.in, &out, &error), c.ok) << c.in;
    if (c.ok)
      EXPECT_EQ(out, c.out) << c.in;
    else
      EXPECT_FALSE(error.empty()) << c.in;
  }
}

TEST(AcceptEncoding, Negotiation) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip(nullptr));
}

}  // namespace
}  // namespace batchwatch::http

namespace batchwatch::http {
namespace {

// Paths the server does not serve itself go to Handlers::pages with the decoded path, the raw
// query, and come back with the handler's status and headers.
TEST(ServerPages, OtherPathsGoToThePagesHandler) {
  Handlers h;
  h.metrics = [](batchwatch::metrics::Exposition* out) { out->Add(std::string("up 1\n")); };
  h.unsynced = [] { return std::vector<std::string>{}; };
  h.pages = [](const Request& request, Response* response) {
    response->status = request.path == "/cronjobs/ns/a b" ? 200 : 404;
    response->content_type = "text/html; charset=utf-8";
    response->body = "path=" + request.path + " query=" + request.query;
    response->headers.emplace_back("Content-Security-Policy", "default-src 'none'");
  };
  Server server;
  ServerOptions opts;
  opts.listen_address = "127.0.0.1:0";
  std::string error;
  ASSERT_TRUE(server.Start(opts, h, &error)) << error;
  std::string r = RawGet(server.port(), "/cronjobs/ns/a%20b?q=x%20y&limit=5");
  EXPECT_NE(r.find(" 200 "), std::string::npos) << r;
  EXPECT_NE(r.find("Content-Security-Policy: default-src 'none'"), std::string::npos) << r;
  EXPECT_EQ(Body(r), "path=/cronjobs/ns/a b query=q=x%20y&limit=5");
  EXPECT_NE(RawGet(server.port(), "/elsewhere").find(" 404 "), std::string::npos);
  EXPECT_EQ(Body(RawGet(server.port(), "/metrics")), "up 1\n");
}

}  // namespace
}  // namespace batchwatch::http
