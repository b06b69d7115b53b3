// The berth binary as an operator uses it: exit codes, --json, store commands on a data dir.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace berth {
namespace {

using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

CommandResult Berth(std::vector<std::string> args) {
  args.insert(args.begin(), BERTH_BINARY);
  return RunCommand(args);
}

TEST(BerthCliTest, VersionAndHelpExitZero) {
  CommandResult version = Berth({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("berth "), std::string::npos);
  CommandResult help = Berth({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("store"), std::string::npos);
}

TEST(BerthCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Berth({}).exit_code, 2);
  EXPECT_EQ(Berth({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(Berth({"store", "verify", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(Berth({"--log-level", "loud", "store", "stats"}).exit_code, 2);
}

TEST(BerthCliTest, MissingStoreFailsWithExitOne) {
  TempDir dir;
  CommandResult r = Berth({"store", "stats", "--data-dir", dir.Sub("none")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no berth store"), std::string::npos) << r.err;
}

TEST(BerthCliTest, IngestVerifyStats) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("src/sub"));
  auto text = testing::TextBytes(300000, 1);
  std::ofstream(dir.Sub("src/a.txt")).write(reinterpret_cast<const char*>(text.data()),
                                            static_cast<std::streamsize>(text.size()));
  std::ofstream(dir.Sub("src/sub/b.txt")).write(reinterpret_cast<const char*>(text.data()),
                                                static_cast<std::streamsize>(text.size()));
  const std::string data = dir.Sub("data");

  CommandResult ingest = Berth({"--json", "store", "ingest", "--data-dir", data, dir.Sub("src")});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  auto report = nlohmann::json::parse(ingest.out);
  EXPECT_EQ(report["files"], 2);
  EXPECT_EQ(report["bytes"], 600000);
  // The second file is a copy: its chunks are all deduplicated.
  EXPECT_EQ(report["new_chunks"].get<int>() * 2, report["chunks"].get<int>());
  EXPECT_LT(report["new_stored_bytes"].get<uint64_t>(), 300000u);

  CommandResult verify = Berth({"store", "verify", "--deep", "--data-dir", data});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_NE(verify.out.find("0 problems"), std::string::npos) << verify.out;

  CommandResult stats = Berth({"--json", "store", "stats", "--data-dir", data});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto s = nlohmann::json::parse(stats.out);
  EXPECT_EQ(s["plaintext_bytes"], 300000);
  EXPECT_EQ(s["chunks"], report["new_chunks"]);
}

TEST(BerthCliTest, KeyGenerateRefusesToOverwrite) {
  TempDir dir;
  const std::string key = dir.Sub("k");
  EXPECT_EQ(Berth({"key", "generate", key}).exit_code, 0);
  CommandResult again = Berth({"key", "generate", key});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("refusing"), std::string::npos);
}

TEST(BerthCliTest, EncryptedStoreNeedsItsKeyOnTheCommandLine) {
  TempDir dir;
  const std::string key = dir.Sub("enc.key"), data = dir.Sub("data");
  ASSERT_EQ(Berth({"key", "generate", key}).exit_code, 0);
  std::filesystem::create_directories(dir.Sub("src"));
  std::ofstream(dir.Sub("src/f")) << "hello";
  ASSERT_EQ(Berth({"store", "ingest", "--data-dir", data, "--encryption-key-file", key,
                   dir.Sub("src")})
                .exit_code,
            0);
  CommandResult without = Berth({"store", "verify", "--data-dir", data, "--deep"});
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_NE(without.err.find("encrypted"), std::string::npos) << without.err;
  EXPECT_EQ(Berth({"store", "verify", "--deep", "--data-dir", data, "--encryption-key-file", key})
                .exit_code,
            0);
}

}  // namespace
}  // namespace berth
