#include "runtime/lxc_handle.h"

#include <lxc/attach_options.h>
#include <lxc/lxccontainer.h>

#include <cerrno>
#include <deque>

#include "base/file.h"

namespace berth::runtime {

Result<LxcHandle> LxcHandle::Open(const std::string& name, const std::string& lxc_path) {
  errno = 0;
  struct lxc_container* c = lxc_container_new(name.c_str(), lxc_path.c_str());
  if (c == nullptr) {
    int err = errno != 0 ? errno : ENOMEM;
    return PosixError("lxc_container_new " + name + " in " + lxc_path, err);
  }
  return LxcHandle(c, name);
}

LxcHandle::LxcHandle(LxcHandle&& other) noexcept
    : c_(std::exchange(other.c_, nullptr)), name_(std::move(other.name_)) {}

LxcHandle& LxcHandle::operator=(LxcHandle&& other) noexcept {
  if (this != &other) {
    if (c_ != nullptr) lxc_container_put(c_);
    c_ = std::exchange(other.c_, nullptr);
    name_ = std::move(other.name_);
  }
  return *this;
}

LxcHandle::~LxcHandle() {
  if (c_ != nullptr) lxc_container_put(c_);
}

bool LxcHandle::IsDefined() const { return c_->is_defined(c_); }
bool LxcHandle::IsRunning() const { return c_->is_running(c_); }

std::string LxcHandle::State() const {
  const char* s = c_->state(c_);
  return s != nullptr ? s : "UNKNOWN";
}

pid_t LxcHandle::InitPid() const { return c_->init_pid(c_); }

Status LxcHandle::Error(StatusCode code, const std::string& what) const {
  std::string msg = "lxc container " + name_ + ": " + what;
  if (c_->error_string != nullptr && c_->error_string[0] != '\0') {
    msg += ": ";
    msg += c_->error_string;
  }
  char log_path[4096];
  int n = c_->get_config_item(c_, "lxc.log.file", log_path, sizeof(log_path));
  if (n > 0 && static_cast<size_t>(n) < sizeof(log_path)) {
    std::string errors = LxcLogErrors(log_path);
    if (!errors.empty()) msg += "; log: " + errors;
  }
  return Status(code, msg, c_->error_num > 0 ? c_->error_num : 0);
}

Status LxcHandle::SetConfigItem(const std::string& key, const std::string& value) {
  if (!c_->set_config_item(c_, key.c_str(), value.c_str())) {
    return Error(StatusCode::kInvalidArgument, "setting " + key + " = " + value);
  }
  return Status::Ok();
}

Status LxcHandle::ClearConfigItem(const std::string& key) {
  if (!c_->clear_config_item(c_, key.c_str())) {
    return Error(StatusCode::kInvalidArgument, "clearing " + key);
  }
  return Status::Ok();
}

Result<std::string> LxcHandle::GetConfigItem(const std::string& key) const {
  int n = c_->get_config_item(c_, key.c_str(), nullptr, 0);
  if (n < 0) return Error(StatusCode::kNotFound, "reading config item " + key);
  std::string out(static_cast<size_t>(n) + 1, '\0');
  n = c_->get_config_item(c_, key.c_str(), out.data(), static_cast<int>(out.size()));
  if (n < 0) return Error(StatusCode::kNotFound, "reading config item " + key);
  out.resize(std::min(out.size(), static_cast<size_t>(n)));
  return out;
}

Status LxcHandle::SaveConfig() {
  if (!c_->save_config(c_, nullptr)) return Error(StatusCode::kInternal, "saving its config");
  return Status::Ok();
}

Status LxcHandle::Start(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  c_->want_daemonize(c_, true);
  c_->want_close_all_fds(c_, true);
  if (!c_->start(c_, 0, argv.empty() ? nullptr : args.data())) {
    return Error(StatusCode::kFailedPrecondition, "start failed");
  }
  return Status::Ok();
}

Status LxcHandle::Shutdown(std::chrono::milliseconds timeout) {
  // shutdown() takes whole seconds; round up so a short timeout still waits a little.
  int seconds = static_cast<int>((timeout.count() + 999) / 1000);
  if (!c_->shutdown(c_, seconds) || c_->is_running(c_)) {
    if (!c_->is_running(c_)) return Status::Ok();
    return Error(StatusCode::kDeadlineExceeded,
                 "still running " + std::to_string(seconds) + " s after the halt signal");
  }
  return Status::Ok();
}

Status LxcHandle::Kill() {
  if (!c_->stop(c_)) {
    if (!c_->is_running(c_)) return Status::Ok();
    return Error(StatusCode::kInternal, "stop (SIGKILL) failed");
  }
  return Status::Ok();
}

Status LxcHandle::WaitForState(const std::string& state, std::chrono::milliseconds timeout) {
  int seconds = static_cast<int>((timeout.count() + 999) / 1000);
  if (!c_->wait(c_, state.c_str(), seconds)) {
    return Error(StatusCode::kDeadlineExceeded, "did not reach " + state + " within " +
                                                    std::to_string(seconds) + " s (it is " +
                                                    State() + ")");
  }
  return Status::Ok();
}

Result<std::string> LxcHandle::GetCgroupItem(const std::string& key) const {
  // liblxc returns the length it needs when given no buffer; cgroup files are small, but
  // memory.stat and cpu.stat can outgrow a fixed buffer.
  int n = c_->get_cgroup_item(c_, key.c_str(), nullptr, 0);
  if (n < 0) return Error(StatusCode::kNotFound, "reading cgroup file " + key);
  std::string out(static_cast<size_t>(n) + 1, '\0');
  n = c_->get_cgroup_item(c_, key.c_str(), out.data(), static_cast<int>(out.size()));
  if (n < 0) return Error(StatusCode::kNotFound, "reading cgroup file " + key);
  out.resize(std::min(out.size(), static_cast<size_t>(n)));
  return out;
}

Status LxcHandle::SetCgroupItem(const std::string& key, const std::string& value) {
  errno = 0;
  if (!c_->set_cgroup_item(c_, key.c_str(), value.c_str())) {
    int err = errno;
    Status s = Error(err == ENOENT ? StatusCode::kNotFound : StatusCode::kInvalidArgument,
                     "writing cgroup file " + key + " = " + value);
    return err != 0 && s.posix_errno() == 0 ? Status(s.code(), s.message(), err) : s;
  }
  return Status::Ok();
}

Result<int> LxcHandle::AttachRunWait(lxc_attach_options_t* options,
                                     const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgumentError("exec: empty command");
  std::vector<const char*> args;
  for (const std::string& a : argv) args.push_back(a.c_str());
  args.push_back(nullptr);
  int status = c_->attach_run_wait(c_, options, args[0], args.data());
  if (status < 0) return Error(StatusCode::kInternal, "attach " + argv[0]);
  return status;
}

std::string LxcLogErrors(const std::string& path, size_t max_lines) {
  Result<std::string> text = ReadFileToString(path);
  if (!text.ok()) return "";
  std::deque<std::string> lines;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    std::string_view line(text->data() + pos, end - pos);
    pos = end + 1;
    if (line.find(" ERROR ") == std::string_view::npos) continue;
    // Drop the "lxc-start name 20240101... ERROR    " prefix down to the source location.
    size_t at = line.find(" ERROR ");
    std::string_view rest = line.substr(at + 7);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    lines.emplace_back(rest);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += " | ";
    out += l;
  }
  return out;
}

}  // namespace berth::runtime
