// The server's limits against slow and greedy clients: concurrent renders are capped, oversized
// request heads are refused, and clients that send their headers slowly (slowloris) or not at
// all lose their connection instead of starving /healthz for everyone else.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"
#include "web_test_util.h"

namespace batchwatch::http {
namespace {

// Blocks every render until Release(), so a test can hold scrape slots deterministically.
class Gate {
 public:
  void Enter() {
    std::unique_lock<std::mutex> lock(mu_);
    ++inside_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  void WaitInside(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this, n] { return inside_ >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int inside_ = 0;
  bool open_ = false;
};

TEST(ServerLimits, ScrapesBeyondTheCapGet503AndOthersStillAnswer) {
  Gate gate;
  Handlers h = testing::FixedHandlers();
  h.metrics = [&gate](batchwatch::metrics::Exposition* out) {
    gate.Enter();
    out->Add(std::string("up 1\n"));
  };
  ServerOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.max_concurrent_scrapes = 1;
  opts.scrape_wait_ms = 20;
  Server server;
  std::string error;
  ASSERT_TRUE(server.Start(opts, h, &error)) << error;

  std::string first;
  std::thread holder([&] { first = testing::RawGet(server.port(), "/metrics"); });
  gate.WaitInside(1);
  std::string refused = testing::RawGet(server.port(), "/metrics");
  EXPECT_NE(refused.find(" 503 "), std::string::npos) << refused;
  EXPECT_NE(refused.find("too many concurrent scrapes"), std::string::npos) << refused;
  // The cap is on renders only: probes are not queued behind a slow render.
  EXPECT_NE(testing::RawGet(server.port(), "/healthz").find(" 200 "), std::string::npos);
  gate.Release();
  holder.join();
  EXPECT_NE(first.find(" 200 "), std::string::npos) << first;
  EXPECT_NE(testing::RawGet(server.port(), "/metrics").find(" 200 "), std::string::npos);
}

TEST(ServerLimits, OversizedRequestHeadIsRefused) {
  ServerOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.max_request_header_bytes = 4096;
  Server server;
  std::string error;
  ASSERT_TRUE(server.Start(opts, testing::FixedHandlers(), &error)) << error;
  std::string big = "X-Filler: " + std::string(16384, 'a') + "\r\n";
  std::string r = testing::RawGet(server.port(), "/metrics", big);
  EXPECT_EQ(r.find(" 200 "), std::string::npos) << r.substr(0, 200);
  EXPECT_EQ(r.find("up 1"), std::string::npos);
  EXPECT_NE(testing::RawGet(server.port(), "/healthz").find(" 200 "), std::string::npos);
}

// Each attacker connection trickles a header byte every 50 ms for as long as the server keeps
// the connection open (at most ~30 s, which would fail the test).
void Slowloris(int port, bool send_nothing, std::atomic<int>* connected,
               std::atomic<bool>* closed_by_server) {
  int fd = testing::ConnectLoopback(port);
  ++*connected;
  if (fd < 0) return;
  std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  if (!send_nothing) (void)!send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  for (int i = 0; i < 600; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    char c;
    ssize_t peek = recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
    if (peek == 0 || (peek < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;
    if (peek > 0) break;  // the server answered (e.g. 408) and will close
    if (!send_nothing && send(fd, "X", 1, MSG_NOSIGNAL) < 0) break;
  }
  char c;
  // Whatever the server sent, it must end with the connection closed.
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (recv(fd, &c, 1, 0) > 0) {
  }
  ssize_t last = recv(fd, &c, 1, MSG_DONTWAIT);
  *closed_by_server = last == 0 || (last < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  close(fd);
}

TEST(ServerLimits, SlowClientsDoNotStarveHealthz) {
  for (bool tls : {false, true}) {
    SCOPED_TRACE(tls ? "https" : "http");
    testing::Pki pki;
    ServerOptions opts;
    opts.listen_address = "127.0.0.1:0";
    opts.threads = 2;
    opts.request_timeout_ms = 300;
    if (tls) {
      std::string error;
      ASSERT_TRUE(pki.Create(&error)) << error;
      opts.web.tls = true;
      opts.web.tls_config.cert_pem = pki.Read("server.crt");
      opts.web.tls_config.cert_source = "server.crt";
      opts.web.tls_config.key_pem = pki.Read("server.key");
      opts.web.tls_config.key_source = "server.key";
    }
    Server server;
    std::string error;
    ASSERT_TRUE(server.Start(opts, testing::FixedHandlers(), &error)) << error;

    // Three times as many attackers as threads; a third of them never send a byte.
    constexpr int kAttackers = 6;
    std::vector<std::thread> attackers;
    std::atomic<bool> closed[kAttackers];
    std::atomic<int> connected{0};
    for (int i = 0; i < kAttackers; ++i) {
      closed[i] = false;
      attackers.emplace_back(Slowloris, server.port(), i % 3 == 0, &connected, &closed[i]);
    }
    // The probe queues behind every attacker.
    while (connected < kAttackers) std::this_thread::yield();
    testing::Request r;
    r.url = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(server.port()) +
            "/healthz";
    r.ca_file = pki.Path("ca.crt");
    testing::Reply reply = testing::Fetch(r);
    EXPECT_TRUE(reply.transport_ok) << reply.error;
    EXPECT_EQ(reply.status, 200);
    for (auto& t : attackers) t.join();
    for (int i = 0; i < kAttackers; ++i) {
      EXPECT_TRUE(closed[i]) << "attacker " << i << " kept its connection";
    }
    pki.Remove();
  }
}

}  // namespace
}  // namespace batchwatch::http
