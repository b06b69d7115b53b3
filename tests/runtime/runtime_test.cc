// The runtime against real LXC containers (root only): start, exec, stop, the project mount, the
// id map, isolation and cleanup. Limits are in limits_enforcement_test.cc, faults in
// runtime_faults_test.cc.
#include <gmock/gmock.h>
#include <sys/stat.h>

#include "tests/runtime/runtime_fixture.h"

namespace berth::runtime::testing {
namespace {

using ::berth::testing::StatusIs;
using ::berth::testing::StatusMessageHas;
using ::testing::HasSubstr;

TEST_F(RuntimeTest, StartExecStop) {
  ContainerSpec spec = Spec("basic", MakeProject("basic"));
  const std::string own_cgroups = ReadAll("/proc/self/cgroup");
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  // liblxc's start moves its caller into the monitor's cgroup; the runtime moves it back.
  EXPECT_EQ(ReadAll("/proc/self/cgroup"), own_cgroups);
  EXPECT_GT(started.init_pid, 0);
  const std::vector<std::string> cgroups = internal::ProcessCgroupDirs(started.init_pid);
  EXPECT_FALSE(cgroups.empty());

  // stdout and the exit code come through.
  ExecResult r = Sh(spec.name, "echo hello; echo oops >&2; exit 3");
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(r.err, "oops\n");
  // stdin too.
  r = Exec(spec.name, {"cat"}, 1000, "line one\nline two\n");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "line one\nline two\n");
  // As the project user, in its home, with a clean environment.
  r = Sh(spec.name, "id -u; id -g; pwd; echo $HOME; env | grep -c BERTH_ || true");
  EXPECT_EQ(r.out, "1000\n1000\n/home/user\n/home/user\n0\n");
  // A signal death is 128 + N; a missing program is an exit code, not an error.
  EXPECT_EQ(Sh(spec.name, "kill -9 $$").code, 137);
  EXPECT_EQ(Exec(spec.name, {"/no/such/program"}).code, 127);
  // No network but loopback.
  r = Sh(spec.name, "ls /sys/class/net");
  EXPECT_EQ(r.out, "lo\n");

  ASSERT_OK_AND_ASSIGN(ContainerStats stats, runtime_->Stats(spec.name));
  EXPECT_TRUE(stats.running);
  EXPECT_EQ(stats.init_pid, started.init_pid);
  EXPECT_GT(stats.memory_bytes, 0);
  EXPECT_GT(stats.cpu_nanos, 0);
  EXPECT_GE(stats.pids, 1);
  EXPECT_EQ(stats.exec_count, 6u);
  EXPECT_EQ(stats.active_execs, 0);
  EXPECT_EQ(stats.spec.project_id, spec.project_id);
  ASSERT_EQ(runtime_->List().size(), 1u);
  ASSERT_EQ(runtime_->Running().size(), 1u);

  ASSERT_OK(runtime_->Stop(spec.name));
  ExpectNothingLeft(spec.name, started.init_pid, cgroups);
  EXPECT_EQ(ReadAll("/proc/self/cgroup"), own_cgroups);
  EXPECT_THAT(runtime_->Stats(spec.name), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(runtime_->Exec(spec.name, {"true"}), StatusIs(StatusCode::kNotFound));
  EXPECT_TRUE(runtime_->List().empty());
  // Idempotent.
  EXPECT_OK(runtime_->Stop(spec.name));
  EXPECT_OK(runtime_->Stop(Name("never-started")));
}

TEST_F(RuntimeTest, FilesWrittenInsideAppearInTheProjectMount) {
  ContainerSpec spec = Spec("files", MakeProject("files"));
  ASSERT_OK(Start(spec));
  ExecResult r = Sh(spec.name, "echo data > /home/user/notes.txt && mkdir /home/user/dir");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string host = ProjectMount("files");
  EXPECT_EQ(ReadAll(host + "/notes.txt"), "data\n");
  struct stat st;
  ASSERT_EQ(::stat((host + "/notes.txt").c_str(), &st), 0);
  // The project user (1000) is host uid 101000.
  EXPECT_EQ(st.st_uid, 101000u);
  EXPECT_EQ(st.st_gid, 101000u);
  // And the other way, through /projects/<id> as well.
  ASSERT_OK(WriteFileAtomically(host + "/from-host", AsBytes("hi")));
  r = Sh(spec.name,
         "cat /projects/" + spec.project_id + "/from-host; readlink /projects/" + spec.project_id);
  EXPECT_EQ(r.out, "hi/home/user\n");
  // The container's own root filesystem is writable (the overlay), directories of the image
  // included, and throwaway.
  EXPECT_EQ(Sh(spec.name, "echo x > /etc/scratch", 0).code, 0);
  ExecResult rm = Sh(spec.name, "rm -rf /var && mkdir /var && mv /usr/local /usr/local2", 0);
  EXPECT_EQ(rm.code, 0) << rm.err;
  ASSERT_OK(runtime_->Stop(spec.name));
  ASSERT_OK(Start(spec));
  EXPECT_NE(Sh(spec.name, "test -e /etc/scratch").code, 0);
  EXPECT_EQ(Sh(spec.name, "test -d /var/tmp && test -d /usr/local").code, 0);
  EXPECT_EQ(Sh(spec.name, "cat /home/user/notes.txt").out, "data\n");
}

TEST_F(RuntimeTest, ContainerRootIsNotHostRoot) {
  ContainerSpec spec = Spec("uid", MakeProject("uid"));
  ASSERT_OK_AND_ASSIGN(StartResult started, Start(spec));
  ExecResult r = Sh(spec.name, "id -u; touch /home/user/rootfile", 0);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");
  struct stat st;
  ASSERT_EQ(::stat((ProjectMount("uid") + "/rootfile").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 100000u);
  // The container's init runs as host uid 100000.
  std::string status = ReadAll("/proc/" + std::to_string(started.init_pid) + "/status");
  EXPECT_THAT(status, HasSubstr("Uid:\t100000\t100000\t100000\t100000"));
  // Root inside cannot reach the host: no device nodes beyond the basic set, no module loading.
  EXPECT_NE(Sh(spec.name, "mknod /tmp/sda b 8 0", 0).code, 0);
  EXPECT_NE(Sh(spec.name, "echo 1 > /proc/sys/kernel/sysrq", 0).code, 0);
}

TEST_F(RuntimeTest, SeesOnlyItsOwnProject) {
  const std::string mine = MakeProject("mine");
  const std::string other = MakeProject("other");
  ASSERT_OK(WriteFileAtomically(ProjectMount("other") + "/secret-of-other", AsBytes("s")));
  ContainerSpec spec = Spec("mine", mine);
  ASSERT_OK(Start(spec));
  // /home holds the project's home only.
  EXPECT_EQ(Sh(spec.name, "ls -A /home").out, "user\n");
  EXPECT_EQ(Sh(spec.name, "ls -A /projects").out, spec.project_id + "\n");
  // Neither the other project, nor the data dir, nor the host's /projects, nor a berth socket.
  for (const std::string& path : {other, ProjectMount("other"), data_.path(), Options().lxc_path,
                                  std::string("/projects/x"), std::string("/run/berth")}) {
    EXPECT_NE(Sh(spec.name, "test -e " + path, 0).code, 0) << path;
  }
  ExecResult r = Sh(
      spec.name, "find / -path /proc -prune -o -path /sys -prune -o -name 'secret-of-*' -print", 0);
  EXPECT_EQ(r.out, "");
  // Mounts inside name nothing of the other project.
  EXPECT_THAT(Sh(spec.name, "cat /proc/mounts").out, ::testing::Not(HasSubstr("other")));
}

TEST_F(RuntimeTest, RemountOfTheProjectPropagatesIntoARunningContainer) {
  const std::string parent = MakeProject("heal");
  ASSERT_OK(WriteFileAtomically(ProjectMount("heal") + "/version", AsBytes("1")));
  ContainerSpec spec = Spec("heal", parent);
  ASSERT_OK(Start(spec));
  ASSERT_EQ(Sh(spec.name, "cat /home/user/version").out, "1");
  // A shell with its cwd in the project, as a user would have, across the remount.
  // The daemon dies: its FUSE mount goes away and is mounted again, fresh, by the new daemon.
  ASSERT_OK(UnbindProject(parent));
  ASSERT_EQ(::umount2(ProjectMount("heal").c_str(), MNT_DETACH), 0);
  EXPECT_EQ(Sh(spec.name, "ls -A /home/user").out, "");  // the unmount reached the container
  const std::string fresh = data_.Sub("mnt/heal2");
  MountTmpfs(fresh);
  ASSERT_OK(WriteFileAtomically(fresh + "/version", AsBytes("2")));
  ASSERT_OK(BindProject(fresh, parent));
  EXPECT_EQ(Sh(spec.name, "cat /home/user/version").out, "2");
  EXPECT_EQ(Sh(spec.name, "cat /projects/" + spec.project_id + "/version").out, "2");
  // And the container writes into the new mount.
  EXPECT_EQ(Sh(spec.name, "echo 3 > /home/user/after").code, 0);
  EXPECT_EQ(ReadAll(fresh + "/after"), "3\n");
  // A second bind replaces the first (a dead FUSE mount is detached, not stacked on).
  ASSERT_OK(BindProject(fresh, parent));
  EXPECT_EQ(Sh(spec.name, "grep -c ' /home/user ' /proc/mounts").out, "1\n");
}

TEST_F(RuntimeTest, ProjectParentHelpersAreIdempotent) {
  const std::string parent = data_.Sub("homes/idem");
  ASSERT_OK(PrepareProjectParent(parent));
  ASSERT_OK(PrepareProjectParent(parent));
  ASSERT_OK_AND_ASSIGN(std::vector<internal::MountEntry> mounts, internal::ReadMountTable());
  int at_parent = 0;
  for (const internal::MountEntry& m : mounts) {
    if (m.mount_point == parent) {
      ++at_parent;
      EXPECT_THAT(m.optional, HasSubstr("shared:"));
    }
  }
  EXPECT_EQ(at_parent, 1);
  EXPECT_TRUE(PathExists(parent + "/user"));
  EXPECT_OK(UnbindProject(parent));  // nothing mounted: fine
  const std::string src = data_.Sub("mnt/idem");
  MountTmpfs(src);
  ASSERT_OK(BindProject(src, parent));
  ASSERT_OK_AND_ASSIGN(bool bound, internal::IsMountPoint(parent + "/user"));
  EXPECT_TRUE(bound);
  ASSERT_OK(ReleaseProjectParent(parent));
  ASSERT_OK(ReleaseProjectParent(parent));
  EXPECT_FALSE(PathExists(parent));
  EXPECT_OK(UnbindProject(data_.Sub("homes/never-made")));
  EXPECT_THAT(BindProject(src, data_.Sub("mnt")), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(RuntimeTest, StartRejectsAnUnpreparedParent) {
  const std::string plain = data_.Sub("plain");
  ASSERT_OK(MakeDirs(plain));
  EXPECT_THAT(runtime_->Start(Spec("plain", plain)), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(runtime_->Start(Spec("plain", plain)), StatusMessageHas("PrepareProjectParent"));
}

}  // namespace
}  // namespace berth::runtime::testing
