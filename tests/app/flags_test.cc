#include "app/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace batchwatch::app {
namespace {

struct Parsed {
  ParseResult result;
  Flags flags;
  std::string error;
};

Parsed Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "batchwatch");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  Parsed p;
  p.result = ParseFlags(static_cast<int>(argv.size()), argv.data(), &p.flags, &p.error);
  return p;
}

TEST(Flags, DefaultsNeedNoFlags) {
  Parsed p = Parse({});
  ASSERT_EQ(p.result, ParseResult::kOk) << p.error;
  EXPECT_EQ(p.flags.listen_address, ":9981");
  EXPECT_EQ(p.flags.controller_time_zone, "UTC");
  EXPECT_EQ(p.flags.job_group_label, "app.kubernetes.io/name");
  EXPECT_FALSE(p.flags.insecure_skip_tls_verify);
}

TEST(Flags, SpaceAndEqualsFormsBothWork) {
  Parsed p = Parse({"--apiserver", "http://127.0.0.1:1", "--listen-address=127.0.0.1:0",
                    "--namespaces", "a, b,,c", "--exclude-namespaces=kube-system",
                    "--insecure-skip-tls-verify", "--log-format=json", "--log-level", "debug"});
  ASSERT_EQ(p.result, ParseResult::kOk) << p.error;
  EXPECT_EQ(p.flags.apiserver, "http://127.0.0.1:1");
  EXPECT_EQ(p.flags.listen_address, "127.0.0.1:0");
  EXPECT_EQ(p.flags.namespaces, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(p.flags.exclude_namespaces, (std::vector<std::string>{"kube-system"}));
  EXPECT_TRUE(p.flags.insecure_skip_tls_verify);
  EXPECT_EQ(p.flags.log_format, "json");
}

TEST(Flags, HelpAndVersion) {
  EXPECT_EQ(Parse({"--help"}).result, ParseResult::kHelp);
  EXPECT_EQ(Parse({"--version"}).result, ParseResult::kVersion);
}

struct BadCase {
  std::vector<std::string> args;
  std::string error_mentions;
};

TEST(Flags, BadFlagsAreErrorsNamingTheFlag) {
  const std::vector<BadCase> cases = {
      {{"--no-such-flag"}, "--no-such-flag"},
      {{"--listen-address"}, "--listen-address needs a value"},
      {{"--log-format", "xml"}, "--log-format"},
      {{"--log-level=loud"}, "--log-level"},
      {{"--job-gauges=some"}, "--job-gauges"},
      {{"--insecure-skip-tls-verify=maybe"}, "--insecure-skip-tls-verify"},
      {{"--state-save-interval=0"}, "--state-save-interval"},
      {{"--state-save-interval=ten"}, "--state-save-interval"},
      {{"positional"}, "positional"},
      {{"-v"}, "-v"},
      {{"--job-group-label="}, "--job-group-label"},
  };
  for (const auto& c : cases) {
    Parsed p = Parse(c.args);
    EXPECT_EQ(p.result, ParseResult::kError) << c.args[0];
    EXPECT_NE(p.error.find(c.error_mentions), std::string::npos)
        << "error \"" << p.error << "\" should mention " << c.error_mentions;
  }
}

TEST(Flags, ShardFromFlagsOrFromThePodName) {
  Parsed none = Parse({});
  ASSERT_EQ(none.result, ParseResult::kOk) << none.error;
  EXPECT_EQ(none.flags.shard, 0);
  EXPECT_EQ(none.flags.total_shards, 1);
  Parsed given = Parse({"--shard", "2", "--total-shards=3"});
  ASSERT_EQ(given.result, ParseResult::kOk) << given.error;
  EXPECT_EQ(given.flags.shard, 2);
  EXPECT_EQ(given.flags.total_shards, 3);
  Parsed pod = Parse({"--shard-from-pod-name", "batchwatch-1", "--total-shards", "3"});
  ASSERT_EQ(pod.result, ParseResult::kOk) << pod.error;
  EXPECT_EQ(pod.flags.shard, 1);
  const std::vector<BadCase> cases = {
      {{"--shard=3", "--total-shards=3"}, "is not below --total-shards 3"},
      {{"--shard=1"}, "is not below --total-shards 1"},
      {{"--shard=-1", "--total-shards=3"}, "--shard"},
      {{"--total-shards=0"}, "--total-shards"},
      {{"--shard-from-pod-name=batchwatch", "--total-shards=3"}, "does not end in -<ordinal>"},
      {{"--shard-from-pod-name=batchwatch-5", "--total-shards=3"}, "is not below"},
      {{"--shard=0", "--shard-from-pod-name=batchwatch-1", "--total-shards=3"}, "only one"},
  };
  for (const auto& c : cases) {
    Parsed p = Parse(c.args);
    EXPECT_EQ(p.result, ParseResult::kError) << c.args[0];
    EXPECT_NE(p.error.find(c.error_mentions), std::string::npos)
        << "error \"" << p.error << "\" should mention " << c.error_mentions;
  }
}

TEST(Flags, LedgerBoundsAndExternalUrl) {
  Parsed p = Parse({});
  ASSERT_EQ(p.result, ParseResult::kOk) << p.error;
  EXPECT_EQ(p.flags.ledger_slots, 200);
  EXPECT_EQ(p.flags.ledger_max_age_seconds, 14 * 86400);
  struct Case {
    const char* value;
    int64_t seconds;  // 0: refused
  } cases[] = {{"14d", 14 * 86400},
               {"36h", 36 * 3600},
               {"90m", 5400},
               {"600s", 600},
               {"600", 600},
               {"0s", 0},
               {"401d", 0},
               {"1w", 0},
               {"", 0},
               {"-5m", 0},
               {"d", 0}};
  for (const auto& c : cases) {
    p = Parse({std::string("--ledger-max-age=") + c.value});
    if (c.seconds == 0) {
      EXPECT_EQ(p.result, ParseResult::kError) << c.value;
      EXPECT_NE(p.error.find("--ledger-max-age"), std::string::npos) << p.error;
    } else {
      ASSERT_EQ(p.result, ParseResult::kOk) << c.value << ": " << p.error;
      EXPECT_EQ(p.flags.ledger_max_age_seconds, c.seconds) << c.value;
    }
  }
  p = Parse({"--ledger-slots", "50", "--ledger-runs=20"});
  ASSERT_EQ(p.result, ParseResult::kOk) << p.error;
  EXPECT_EQ(p.flags.ledger_slots, 50);
  EXPECT_EQ(p.flags.ledger_runs, 20);
  EXPECT_EQ(Parse({"--ledger-slots", "0"}).result, ParseResult::kError);
  EXPECT_EQ(Parse({"--external-url", "https://bw.example.com/"}).result, ParseResult::kOk);
  p = Parse({"--external-url", "bw.example.com"});
  EXPECT_EQ(p.result, ParseResult::kError);
  EXPECT_NE(p.error.find("http://"), std::string::npos) << p.error;
}

TEST(Flags, HelpDocumentsEveryFlag) {
  std::string help = HelpText();
  for (const char* flag : {"--apiserver",
                           "--kubeconfig",
                           "--context",
                           "--token-file",
                           "--ca-file",
                           "--insecure-skip-tls-verify",
                           "--listen-address",
                           "--namespaces",
                           "--exclude-namespaces",
                           "--controller-time-zone",
                           "--state-file",
                           "--job-group-label",
                           "--log-level",
                           "--log-format",
                           "--job-gauges",
                           "--state-save-interval",
                           "--shard",
                           "--total-shards",
                           "--shard-from-pod-name",
                           "--ledger-slots",
                           "--ledger-runs",
                           "--ledger-max-age",
                           "--external-url",
                           "--help",
                           "--version"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(help.find("9981"), std::string::npos);
}

}  // namespace
}  // namespace batchwatch::app
