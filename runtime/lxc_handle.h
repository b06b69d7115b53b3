#ifndef BERTH_RUNTIME_LXC_HANDLE_H_
#define BERTH_RUNTIME_LXC_HANDLE_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"

struct lxc_container;
struct lxc_attach_options_t;

namespace berth::runtime {

// Owns one reference to a liblxc `struct lxc_container` (lxc_container_put in the destructor).
// Move-only. Every liblxc failure comes back as a Status naming the container, the operation,
// liblxc's error string when it sets one, and the last ERROR lines of the container's log file
// (lxc.log.file), which is where liblxc says why a start failed.
//
// Not thread-safe: use one handle per thread (liblxc's container object locks its own state, but
// berth makes a fresh handle per operation, which is cheap: it parses one small config file).
// liblxc calls back into nothing of ours, so no exception can cross into C here.
class LxcHandle {
 public:
  // A handle on container `name` in `lxc_path`. Loads <lxc_path>/<name>/config when it exists;
  // otherwise the container is undefined until config items are set and saved.
  static Result<LxcHandle> Open(const std::string& name, const std::string& lxc_path);

  LxcHandle(LxcHandle&& other) noexcept;
  LxcHandle& operator=(LxcHandle&& other) noexcept;
  LxcHandle(const LxcHandle&) = delete;
  LxcHandle& operator=(const LxcHandle&) = delete;
  ~LxcHandle();

  const std::string& name() const { return name_; }
  bool IsDefined() const;
  bool IsRunning() const;
  // "STOPPED", "STARTING", "RUNNING", "STOPPING", "ABORTING", "FREEZING", "FROZEN", "THAWED".
  std::string State() const;
  // The container's init as the host sees it; -1 when not running.
  pid_t InitPid() const;

  Status SetConfigItem(const std::string& key, const std::string& value);
  Status ClearConfigItem(const std::string& key);
  Result<std::string> GetConfigItem(const std::string& key) const;
  // Writes the loaded configuration to <lxc_path>/<name>/config.
  Status SaveConfig();

  // Starts the container daemonized with `argv` as its init, closing every inherited file
  // descriptor in it (the daemon's sockets and databases must not leak into a container).
  // Returns once liblxc saw the container reach RUNNING. FailedPrecondition with the log's
  // reason if it did not.
  // REQUIRES: a single-threaded caller. liblxc forks and its child runs on (allocating, reading
  // /proc) until it becomes the monitor, and the start moves the caller into the container's
  // monitor cgroups. The daemon therefore starts containers through the berth-lxc helper
  // (lxc_helper_main.cc), never by calling this itself.
  Status Start(const std::vector<std::string>& argv);
  // Asks init to halt (lxc.signal.halt) and waits up to `timeout` for it to stop.
  // DeadlineExceeded if it is still running then.
  Status Shutdown(std::chrono::milliseconds timeout);
  // SIGKILLs init (and so the whole PID namespace).
  Status Kill();
  // Waits until the container reaches `state` ("STOPPED", "RUNNING"); DeadlineExceeded after
  // `timeout`.
  Status WaitForState(const std::string& state, std::chrono::milliseconds timeout);

  // Reads or writes a file of the running container's cgroup ("memory.max"). The controller is
  // the key's prefix, in whichever hierarchy (v1 or v2) carries it.
  Result<std::string> GetCgroupItem(const std::string& key) const;
  Status SetCgroupItem(const std::string& key, const std::string& value);

  // Runs argv in the container (attach_run_wait) and returns the wait(2) status.
  // REQUIRES: a single-threaded caller, as for Start (the daemon runs it in the berth-lxc helper).
  Result<int> AttachRunWait(lxc_attach_options_t* options, const std::vector<std::string>& argv);

  // The raw handle, borrowed for the life of this object.
  struct lxc_container* get() const {
    return c_;
  }

 private:
  LxcHandle(struct lxc_container* c, std::string name) : c_(c), name_(std::move(name)) {}
  // "lxc container <name>: <what>: <liblxc's error string>; log: <last errors>".
  Status Error(StatusCode code, const std::string& what) const;

  struct lxc_container* c_ = nullptr;
  std::string name_;
};

// The last `max_lines` lines containing " ERROR " of the liblxc log file at `path`, joined with
// " | "; empty when there is none or the file cannot be read.
std::string LxcLogErrors(const std::string& path, size_t max_lines = 3);

}  // namespace berth::runtime

#endif  // BERTH_RUNTIME_LXC_HANDLE_H_
