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
  ASSERT_OK_AND_ASSIGN(ContainerSpec back, DecodeContainerSpec(EncodeContainerSpec(spec)));
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
