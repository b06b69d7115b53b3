#ifndef BERTH_RUNTIME_RUNTIME_H_
#define BERTH_RUNTIME_RUNTIME_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/cgroup_layout.h"
#include "runtime/container_spec.h"
#include "runtime/id_map.h"
#include "runtime/resource_limits.h"

namespace berth::runtime {

struct RuntimeOptions {
  // Where containers live, one directory each (liblxc's lxcpath), e.g. <data_dir>/containers.
  // Created 0755 if missing. Required.
  std::string lxc_path;
  // Where base images live (image.h), e.g. <data_dir>/images. Required.
  std::string images_dir;
  // The user-namespace id map of every container. Default: container 0 = host 100000, 65536 ids.
  IdMap id_map;
  // At Open, give root the id map's range in these files unless a line covers it already
  // (id_map.h). Empty: leave the files alone. Default: /etc/subuid, /etc/subgid.
  std::string subuid_path = "/etc/subuid";
  std::string subgid_path = "/etc/subgid";
  // What limits are validated against. Default: this host (HostResources::Detect()).
  std::optional<HostResources> host;
  // The cgroup layout limits are written for. Default: detected (CgroupLayout::Detect()).
  std::optional<CgroupLayout> cgroup_layout;
  // How long Start waits for init to be running. Default: 10 s.
  std::chrono::milliseconds start_timeout = std::chrono::seconds(10);
  // The berth-lxc binary, through which containers are started and commands run in them
  // (runtime/lxc_helper_main.cc says why). Checked at Open. Default: berth-lxc in the directory
  // of this executable.
  std::string lxc_helper;
  // liblxc's log level in each container's lxc.log ("ERROR", "WARN", "INFO", "DEBUG", "TRACE").
  // Default: "WARN".
  std::string lxc_log_level = "WARN";

  Status Validate() const;
};

struct StartResult {
  pid_t init_pid = -1;  // the container's init, as the host sees it
  // Limits that could not be applied on this host, each with its reason (e.g. no blkio weight
  // file); the container runs without them.
  std::vector<std::string> warnings;
};

struct ExecOptions {
  // The command's standard streams: descriptors of the caller, borrowed for the call (the daemon
  // passes a client's descriptors through). Default: the caller's own 0, 1, 2.
  int stdin_fd = 0;
  int stdout_fd = 1;
  int stderr_fd = 2;
  // Ids inside the container. Default: the project user, 1000:1000.
  uint32_t uid = 1000;
  uint32_t gid = 1000;
  // "KEY=VALUE" entries added to the environment, overriding the defaults: PATH, HOME (/home/user
  // or /root for uid 0), USER, LOGNAME, SHELL=/bin/sh. Nothing of the daemon's environment leaks.
  std::vector<std::string> env;
  // Working directory inside the container. Default: /home/user.
  std::string cwd = "/home/user";
};

// A running (or crashed, see `running`) container as the runtime sees it.
struct ContainerStats {
  ContainerSpec spec;    // as started (limits as last set)
  bool running = false;  // false: its init exited; Stop() it to clean up
  pid_t init_pid = -1;
  int64_t memory_bytes = 0;  // memory in use, page cache included
  int64_t cpu_nanos = 0;     // CPU time of all its processes so far
  int64_t pids = 0;          // processes and threads now
  int64_t oom_kills = 0;     // processes the kernel OOM-killed in it
  int active_execs = 0;      // Exec calls running now
  uint64_t exec_count = 0;   // Exec calls since start (or since this runtime adopted it)
  int64_t started_ms = 0;    // when Start returned, or when Open adopted it
};

// Runs projects' containers through liblxc: one unprivileged LXC container per running project,
// with the base image as a read-only lower layer, a throwaway overlay, the project parent dir at
// /home, no network unless the spec asks for a veth on a host bridge, and cgroup limits.
//
// Containers outlive the Runtime object (and the daemon): destroying a Runtime leaves them
// running, and Open adopts the ones it finds running in lxc_path (see Running()), so a daemon
// killed with -9 finds its containers again; leftovers of containers that are no longer running
// (overlay mounts, deltas, empty cgroups) are removed at Open.
//
// Thread-safe. mu_ guards the table of containers; each container has its own op_mu that
// serializes Start, Stop and SetLimits on it (they hold it across liblxc calls, so operations on
// different containers run in parallel). Lock order: a container's op_mu, then mu_; mu_ is never
// held across a liblxc call. Exec takes neither across the command: a long exec never blocks
// Stop (which ends it by stopping the container) or anything else.
//
// Start and Exec call liblxc through the berth-lxc helper, a single-threaded process: liblxc's
// start and attach fork children that keep running liblxc's code, which a fork of this
// multithreaded process must not. Both wait for their own child: the daemon must not set SIGCHLD
// to SIG_IGN nor reap children it does not know (waitpid(-1)).
class Runtime {
 public:
  // Ensures the directories and the subordinate-id entries, detects the host, and adopts
  // running containers found in lxc_path (cleaning up the ones that are not running).
  static Result<std::unique_ptr<Runtime>> Open(RuntimeOptions options);

  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  // Leaves containers running.
  ~Runtime();

  // Starts a container and returns once its init runs. InvalidArgument for a bad spec or limits
  // (negative, NaN, above the host); NotFound naming the image when the base image is missing;
  // FailedPrecondition when the project parent dir is not a mount point or a limit's cgroup
  // controller is missing; AlreadyExists when a container of that name runs. A container whose
  // init died is cleaned up and started afresh. On failure nothing is left behind.
  Result<StartResult> Start(const ContainerSpec& spec);

  // Sends the halt signal to init, waits up to `timeout` for the container to stop, then kills
  // it (a zero timeout kills at once; busybox init needs about 2 s to halt); then removes its
  // overlay, delta, directory and cgroups. Afterwards no process, mount or cgroup of it is left. OK
  // when no such container runs (idempotent), including one whose init died.
  Status Stop(const std::string& name,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Runs argv (argv[0] is looked up in PATH) in the container with the given streams, ids,
  // environment and directory, waits, and returns its exit code (128 + N when killed by signal
  // N, the shell's convention; 127 when it could not be executed). NotFound when the container is
  // not running here; FailedPrecondition when its init died.
  Result<int> Exec(const std::string& name, const std::vector<std::string>& argv,
                   const ExecOptions& options = {});

  // Every container this runtime tracks, running or with a dead init, with statistics read from
  // its cgroups (zero where unreadable), sorted by name.
  std::vector<ContainerStats> List();
  // One container's statistics. NotFound when it is not tracked; FailedPrecondition when its init
  // exited (the message says so; Stop cleans up).
  Result<ContainerStats> Stats(const std::string& name);

  // Changes a running container's limits live (cgroup writes); fields not set in `limits` stay as
  // they are. Returns the limits not applied on this host, with reasons. InvalidArgument for bad
  // limits (checked merged with the current ones); NotFound when not running.
  Result<std::vector<std::string>> SetLimits(const std::string& name, const ResourceLimits& limits);

  // The specs of the containers this runtime tracks (started, or adopted at Open). After a
  // restart the node compares them with the projects it serves and Stops the others.
  std::vector<ContainerSpec> Running();

  const RuntimeOptions& options() const { return options_; }
  const CgroupLayout& cgroup_layout() const { return layout_; }

 private:
  struct Entry {
    std::mutex op_mu;      // serializes Start/Stop/SetLimits of this container
    ContainerSpec spec;    // GUARDED_BY(Runtime::mu_): read by Stats without waiting for ops
    bool removed = false;  // GUARDED_BY(op_mu); set when Stop erased it from the table
    pid_t init_pid = -1;   // GUARDED_BY(Runtime::mu_)
    std::atomic<int64_t> started_ms{0};
    std::atomic<int> active_execs{0};
    std::atomic<uint64_t> exec_count{0};
  };

  Runtime(RuntimeOptions options, CgroupLayout layout, HostResources host);
  Status Adopt();
  std::shared_ptr<Entry> Lookup(const std::string& name);
  std::shared_ptr<Entry> LookupOrCreate(const std::string& name);
  void Erase(const std::string& name, const std::shared_ptr<Entry>& entry);
  void EraseUnlessRunning(const std::string& name, const std::shared_ptr<Entry>& entry,
                          const Status& failure);
  // `parent`: spec.project_parent_dir, canonical. REQUIRES: entry.op_mu held.
  Result<StartResult> StartLocked(Entry& entry, const ContainerSpec& spec,
                                  const std::string& parent);
  Status StopLocked(const std::string& name, std::chrono::milliseconds timeout);
  Status ConfigureLxc(const ContainerSpec& spec, const CgroupPlan& plan);
  std::vector<std::string> ApplyIoWeight(const std::string& name, const CgroupPlan& plan);
  ContainerStats ReadStats(const std::string& name, Entry& entry, const ContainerSpec& spec);

  const RuntimeOptions options_;
  const CgroupLayout layout_;
  const HostResources host_;

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // GUARDED_BY(mu_)
};

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_RUNTIME_H_
