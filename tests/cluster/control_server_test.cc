#include "cluster/control_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "cmd/control_client.h"
#include "cmd/size_parse.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::cluster {
namespace {

using berth::testing::StatusIs;
using berth::testing::TempDir;
using nlohmann::json;

// Sends raw bytes and returns everything the server answers.
std::string RawExchange(const std::string& socket, const std::string& bytes) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, socket.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return "";
  (void)!::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  ::shutdown(fd.get(), SHUT_WR);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd.get(), buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ControlServer::Start(socket_, [](const json& request, ControlCall& call)
                                                     -> Result<json> {
      std::string op = request["op"];
      if (op == "echo") return request;
      if (op == "count") {
        for (int i = 1; i <= 3; ++i) call.progress({{"i", i}});
        return json{{"done", 3}};
      }
      if (op == "write") {  // writes "fd N" into each descriptor passed
        for (size_t i = 0; i < call.fds.size(); ++i) {
          std::string text = "fd " + std::to_string(i);
          if (::write(call.fds[i].get(), text.data(), text.size()) < 0) {
            return PosixError("write", errno);
          }
        }
        return json{{"fds", call.fds.size()}};
      }
      if (op == "fail") return NotFoundError("no such thing");
      throw std::runtime_error("boom");
    });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  TempDir dir_;
  std::string socket_ = dir_.Sub("s.sock");
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlServerTest, RequestResultAndProgress) {
  ASSERT_OK_AND_ASSIGN(json echoed, cmd::CallDaemon(socket_, {{"op", "echo"}, {"x", 5}}, nullptr));
  EXPECT_EQ(echoed["x"], 5);
  std::vector<int> seen;
  ASSERT_OK_AND_ASSIGN(json counted,
                       cmd::CallDaemon(socket_, {{"op", "count"}},
                                       [&](const json& p) { seen.push_back(p["i"]); }));
  EXPECT_EQ(counted["done"], 3);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST_F(ControlServerTest, ErrorsKeepTheirCode) {
  EXPECT_THAT(cmd::CallDaemon(socket_, {{"op", "fail"}}, nullptr), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(cmd::CallDaemon(socket_, {{"op", "throw"}}, nullptr), StatusIs(StatusCode::kInternal));
}

TEST_F(ControlServerTest, MalformedRequestsGetAClearErrorAndTheServerLivesOn) {
  for (const std::string& bad : {std::string("not json\n"), std::string("[1,2]\n"),
                                 std::string("{\"no_op\":1}\n"), std::string(2 << 20, 'x')}) {
    std::string answer = RawExchange(socket_, bad);
    json reply = json::parse(answer.substr(0, answer.find('\n')), nullptr, false);
    ASSERT_TRUE(reply.is_object()) << answer.substr(0, 200);
    EXPECT_FALSE(reply["ok"].get<bool>());
    EXPECT_EQ(reply["code"], "INVALID_ARGUMENT");
  }
  EXPECT_EQ(RawExchange(socket_, ""), "");  // a client that says nothing gets nothing
  EXPECT_OK(cmd::CallDaemon(socket_, {{"op", "echo"}}, nullptr));
}

TEST_F(ControlServerTest, DescriptorsRideAlongWithTheRequest) {
  int a[2], b[2];
  ASSERT_EQ(::pipe(a), 0);
  ASSERT_EQ(::pipe(b), 0);
  UniqueFd a_read(a[0]), a_write(a[1]), b_read(b[0]), b_write(b[1]);
  const int fds[] = {a_write.get(), b_write.get()};
  ASSERT_OK_AND_ASSIGN(json result, cmd::CallDaemon(socket_, {{"op", "write"}}, nullptr, fds));
  EXPECT_EQ(result["fds"], 2);
  a_write = UniqueFd();
  b_write = UniqueFd();
  char buf[16];
  ssize_t n = ::read(a_read.get(), buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "fd 0");
  n = ::read(b_read.get(), buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "fd 1");
  // The daemon closed its copies once the request was answered: the pipes are at end of file.
  EXPECT_EQ(::read(a_read.get(), buf, sizeof(buf)), 0);

  const int too_many[] = {0, 1, 2, 0, 1};
  EXPECT_THAT(cmd::CallDaemon(socket_, {{"op", "write"}}, nullptr, too_many),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(ControlServerTest, SocketIsRootOnlyAndASecondServerIsRefused) {
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = ControlServer::Start(socket_, [](const json&, ControlCall&) -> Result<json> {
    return json();
  });
  EXPECT_THAT(second, StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(ControlServerTest, NoDaemonIsUnavailable) {
  server_->Stop();
  EXPECT_THAT(cmd::CallDaemon(socket_, {{"op", "echo"}}, nullptr),
              StatusIs(StatusCode::kUnavailable));
}

TEST(SizeParseTest, UnitsAndErrors) {
  EXPECT_EQ(*cmd::ParseSize("1048576"), 1048576u);
  EXPECT_EQ(*cmd::ParseSize("512K"), 512u << 10);
  EXPECT_EQ(*cmd::ParseSize("10M"), 10u << 20);
  EXPECT_EQ(*cmd::ParseSize("2GiB"), 2ull << 30);
  EXPECT_EQ(*cmd::ParseSize("1T"), 1ull << 40);
  for (const char* bad : {"", "G", "-1", "10X", "99999999999999999999", "20000000T"}) {
    EXPECT_FALSE(cmd::ParseSize(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace berth::cluster
