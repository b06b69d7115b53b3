#include "runtime/container_spec.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace berth::runtime {
namespace {

using ::berth::testing::StatusIs;

ContainerSpec Good() {
  ContainerSpec spec;
  spec.name = "berth-0123abcd";
  spec.project_id = "0123abcd";
  spec.image = "busybox";
  spec.project_parent_dir = "/var/lib/berth/homes/0123abcd";
  return spec;
}

TEST(ContainerSpecTest, RoundTrip) {
  ContainerSpec spec = Good();
  spec.limits.memory_bytes = 1 << 30;
  spec.limits.swap_bytes = 0;
  spec.limits.cpu_cores = 0.25;
  spec.limits.cpu_weight = 50;
  spec.limits.pids = 300;
  spec.limits.blkio_weight = 700;
  spec.init_argv = {"/bin/sh", "-c", "exec sleep 100"};
  spec.halt_signal = SIGRTMIN + 3;
  spec.hostname = "demo";
  spec.network = {"berth0", "100.80.0.7/16", "100.80.0.1"};
  ASSERT_OK_AND_ASSIGN(ContainerSpec back, DecodeContainerSpec(EncodeContainerSpec(spec)));
  EXPECT_EQ(back.network, spec.network);
  EXPECT_EQ(back.name, spec.name);
  EXPECT_EQ(back.project_id, spec.project_id);
  EXPECT_EQ(back.image, spec.image);
  EXPECT_EQ(back.project_parent_dir, spec.project_parent_dir);
  EXPECT_EQ(back.limits, spec.limits);
  EXPECT_EQ(back.init_argv, spec.init_argv);
  EXPECT_EQ(back.halt_signal, spec.halt_signal);
  EXPECT_EQ(back.hostname, spec.hostname);
}

TEST(ContainerSpecTest, RejectsBadFields) {
  ContainerSpec s = Good();
  s.name = "../x";
  EXPECT_THAT(s.Validate(), StatusIs(StatusCode::kInvalidArgument));
  s = Good();
  s.name = "";
  EXPECT_THAT(s.Validate(), StatusIs(StatusCode::kInvalidArgument));
  s = Good();
  s.name = std::string(65, 'a');
  EXPECT_THAT(s.Validate(), StatusIs(StatusCode::kInvalidArgument));
  s = Good();
  s.project_parent_dir = "relative/dir";
  EXPECT_THAT(s.Validate(), StatusIs(StatusCode::kInvalidArgument));
  s = Good();
  s.project_parent_dir = "/with space";
  EXPECT_THAT(s.Validate(), StatusIs(StatusCode::kInvalidArgument));
  s = Good();
  s.image = "a/b";
  EXPECT_THAT(s.Validate(), StatusIs(StatusCode::kInvalidArgument));
  s = Good();
  s.init_argv = {};
  EXPECT_THAT(s.Validate(), StatusIs(StatusCode::kInvalidArgument));
  s = Good();
  s.halt_signal = 0;
  EXPECT_THAT(s.Validate(), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ContainerSpecTest, NetworkIsOptionalAndChecked) {
  ContainerSpec s = Good();
  EXPECT_FALSE(s.network.enabled());
  ASSERT_OK_AND_ASSIGN(ContainerSpec back, DecodeContainerSpec(EncodeContainerSpec(s)));
  EXPECT_FALSE(back.network.enabled());
  s.network = {"berth0", "100.80.0.7/16", "100.80.0.1"};
  EXPECT_OK(s.Validate());
  for (const ContainerSpec::Network& bad : std::vector<ContainerSpec::Network>{
           {"berth0 x", "100.80.0.7/16", "100.80.0.1"},         // interface name
           {"a-name-of-16-chr", "100.80.0.7/16", "100.80.0.1"},  // too long for IFNAMSIZ
           {"berth0", "100.80.0.7", "100.80.0.1"},              // /32: no room for a gateway
           {"berth0", "100.80.0.0/16", "100.80.0.1"},           // the network address
           {"berth0", "100.80.255.255/16", "100.80.0.1"},       // the broadcast address
           {"berth0", "100.80.0.7/16", "100.81.0.1"},           // gateway outside the subnet
           {"berth0", "100.80.0.7/16", "100.80.0.7"},           // gateway is the container
           {"berth0", "100.80.0.7/16", "100.80.0.1/16"},        // gateway with a prefix
           {"berth0", "300.80.0.7/16", "100.80.0.1"},           // not an address
       }) {
    s.network = bad;
    EXPECT_THAT(s.Validate(), StatusIs(StatusCode::kInvalidArgument))
        << bad.bridge << " " << bad.address << " " << bad.gateway;
  }
}

TEST(ContainerSpecTest, DecodeRejectsGarbage) {
  EXPECT_THAT(DecodeContainerSpec(""), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(DecodeContainerSpec("something else\nname=x\n"), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(DecodeContainerSpec("berth-container-spec 1\nno equals sign\n"),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(DecodeContainerSpec("berth-container-spec 1\nname=x\nimage=i\n"
                                  "project_parent_dir=/p\npids=12abc\n"),
              StatusIs(StatusCode::kDataLoss));
  // Unknown keys are skipped; a missing required field fails validation.
  EXPECT_OK(
      DecodeContainerSpec("berth-container-spec 1\nname=x\nimage=i\n"
                          "project_parent_dir=/p\nfuture_key=1\n"));
  EXPECT_THAT(DecodeContainerSpec("berth-container-spec 1\nname=x\n"),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::runtime
