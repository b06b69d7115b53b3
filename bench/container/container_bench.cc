// Time from Runtime::Start to a command running inside the container with the project mounted
// (Exec of `test -d /home/user/.`), over N starts of a busybox container. bench/container_bench.sh
// runs it beside lxc-start + lxc-attach of the same image by hand.
//
//   container_bench DATA_DIR [RUNS]
//
// DATA_DIR (created; must be searchable by others) holds the image, the containers and the
// project; a busybox image is built there once. Prints one line per run and a summary line:
//   berth runs=20 p50_ms=.. p90_ms=.. start_p50_ms=.. exec_p50_ms=..
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/file.h"
#include "runtime/image.h"
#include "runtime/project_mounts.h"
#include "runtime/runtime.h"

namespace {

using berth::Status;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "container_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR [RUNS]\n", argv[0]);
    return 2;
  }
  const std::string data = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 20;
  namespace rt = berth::runtime;

  const std::string images = data + "/images";
  if (!berth::PathExists(rt::ImageRootfs(images, "busybox"))) {
    Status s = rt::BuildBusyboxImage(images, "busybox");
    if (!s.ok()) return Fail("building the image", s);
  }
  const std::string parent = data + "/homes/bench";
  const std::string project = data + "/mnt/bench";
  if (Status s = rt::PrepareProjectParent(parent); !s.ok()) return Fail("parent", s);
  if (Status s = berth::MakeDirs(project); !s.ok()) return Fail("project dir", s);
  // A tmpfs stands in for the project's FUSE mount.
  if (::mount("tmpfs", project.c_str(), "tmpfs", 0, "mode=0777,size=16m") != 0) {
    return Fail("mount tmpfs", berth::PosixError("mount " + project, errno));
  }
  int rc = 0;
  {
    Status bound = rt::BindProject(project, parent);
    rt::RuntimeOptions options;
    options.lxc_path = data + "/containers";
    options.images_dir = images;
    options.lxc_helper = BERTH_LXC_HELPER;
    auto runtime = rt::Runtime::Open(options);
    if (!bound.ok() || !runtime.ok()) {
      rc = Fail("setup", bound.ok() ? runtime.status() : bound);
    } else {
      berth::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
      rt::ExecOptions exec;
      exec.stdin_fd = exec.stdout_fd = exec.stderr_fd = null.get();
      rt::ContainerSpec spec;
      spec.name = "berth-bench";
      spec.project_id = "bench";
      spec.image = "busybox";
      spec.project_parent_dir = parent;
      std::vector<double> total, start, run;
      for (int i = 0; i < runs && rc == 0; ++i) {
        auto t0 = Clock::now();
        auto started = (*runtime)->Start(spec);
        auto t1 = Clock::now();
        if (!started.ok()) {
          rc = Fail("start", started.status());
          break;
        }
        auto code = (*runtime)->Exec(spec.name, {"test", "-d", "/home/user/."}, exec);
        auto t2 = Clock::now();
        if (!code.ok() || *code != 0) {
          rc = Fail("exec", code.ok() ? berth::InternalError("exit " + std::to_string(*code))
                                      : code.status());
        }
        total.push_back(Ms(t2 - t0));
        start.push_back(Ms(t1 - t0));
        run.push_back(Ms(t2 - t1));
        std::printf("run %d: start %.1f ms, exec %.1f ms, total %.1f ms\n", i + 1, start.back(),
                    run.back(), total.back());
        // Not timed: a kill, not the graceful halt, to keep the benchmark short.
        if (Status s = (*runtime)->Stop(spec.name, std::chrono::milliseconds(0)); !s.ok()) {
          rc = Fail("stop", s);
        }
      }
      if (rc == 0) {
        std::printf("berth runs=%d p50_ms=%.1f p90_ms=%.1f start_p50_ms=%.1f exec_p50_ms=%.1f\n",
                    runs, Percentile(total, 0.5), Percentile(total, 0.9), Percentile(start, 0.5),
                    Percentile(run, 0.5));
      }
    }
  }
  Status s = rt::ReleaseProjectParent(parent);
  if (!s.ok()) std::fprintf(stderr, "release: %s\n", s.ToString().c_str());
  ::umount2(project.c_str(), MNT_DETACH);
  return rc;
}
