#include "runtime/container_spec.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "runtime/image.h"

namespace berth::runtime {

namespace {

constexpr std::string_view kHeader = "berth-container-spec 1";

bool HasLineBreak(std::string_view s) {
  return s.find('\n') != std::string_view::npos || s.find('\r') != std::string_view::npos;
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

bool ParseDouble(std::string_view s, double* out) {
  std::string copy(s);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return !copy.empty() && end == copy.c_str() + copy.size();
}

std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

Status ValidateNetwork(const ContainerSpec::Network& network) {
  RETURN_IF_ERROR(ValidateInterfaceName(network.bridge).WithContext("network bridge"));
  ASSIGN_OR_RETURN(Ipv4Net address, Ipv4Net::Parse(network.address));
  ASSIGN_OR_RETURN(Ipv4Net gateway, Ipv4Net::Parse(network.gateway));
  if (network.gateway.find('/') != std::string::npos) {
    return InvalidArgumentError("network gateway \"" + network.gateway + "\": no prefix wanted");
  }
  if (address.prefix < 8 || address.prefix > 30 || address.address == address.network() ||
      address.address == address.broadcast()) {
    return InvalidArgumentError("network address " + network.address +
                                ": a host address with a prefix between /8 and /30");
  }
  if (!address.Contains(gateway.address) || gateway.address == address.address) {
    return InvalidArgumentError("network gateway " + network.gateway + " is not another address of " +
                                address.ToString());
  }
  return Status::Ok();
}

}  // namespace

Status ContainerSpec::Validate() const {
  RETURN_IF_ERROR(ValidateName("container", name));
  if (!project_id.empty()) RETURN_IF_ERROR(ValidateName("project id", project_id));
  RETURN_IF_ERROR(ValidateName("image", image));
  if (project_parent_dir.empty() || project_parent_dir[0] != '/') {
    return InvalidArgumentError("project_parent_dir must be an absolute path, got \"" +
                                project_parent_dir + "\"");
  }
  // The path goes into an fstab-format lxc.mount.entry, where whitespace separates fields.
  for (char c : project_parent_dir) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' || c == '\\') {
      return InvalidArgumentError("project_parent_dir \"" + project_parent_dir +
                                  "\" contains whitespace, ',', ':' or '\\'");
    }
  }
  if (init_argv.empty() || init_argv[0].empty() || init_argv[0][0] != '/') {
    return InvalidArgumentError("init_argv must start with an absolute path");
  }
  for (const std::string& a : init_argv) {
    if (HasLineBreak(a)) return InvalidArgumentError("init_argv: an argument has a line break");
  }
  if (halt_signal <= 0 || halt_signal >= 65) {
    return InvalidArgumentError("halt_signal " + std::to_string(halt_signal) + " is no signal");
  }
  if (HasLineBreak(hostname) || hostname.size() > 63) {
    return InvalidArgumentError("hostname: at most 63 bytes, no line break");
  }
  if (network.enabled()) RETURN_IF_ERROR(ValidateNetwork(network));
  return Status::Ok();
}

std::string EncodeContainerSpec(const ContainerSpec& spec) {
  std::string out(kHeader);
  out += '\n';
  auto put = [&out](std::string_view key, const std::string& value) {
    out += key;
    out += '=';
    out += value;
    out += '\n';
  };
  put("name", spec.name);
  put("project_id", spec.project_id);
  put("image", spec.image);
  put("project_parent_dir", spec.project_parent_dir);
  for (const std::string& a : spec.init_argv) put("init", a);
  put("halt_signal", std::to_string(spec.halt_signal));
  put("hostname", spec.hostname);
  const ResourceLimits& l = spec.limits;
  if (l.memory_bytes) put("memory_bytes", std::to_string(*l.memory_bytes));
  if (l.swap_bytes) put("swap_bytes", std::to_string(*l.swap_bytes));
  if (l.cpu_weight) put("cpu_weight", std::to_string(*l.cpu_weight));
  if (l.cpu_cores) put("cpu_cores", FormatDouble(*l.cpu_cores));
  if (l.pids) put("pids", std::to_string(*l.pids));
  if (l.blkio_weight) put("blkio_weight", std::to_string(*l.blkio_weight));
  if (spec.network.enabled()) {
    put("network_bridge", spec.network.bridge);
    put("network_address", spec.network.address);
    put("network_gateway", spec.network.gateway);
  }
  return out;
}

Result<ContainerSpec> DecodeContainerSpec(std::string_view text) {
  size_t pos = text.find('\n');
  if (pos == std::string_view::npos || text.substr(0, pos) != kHeader) {
    return DataLossError("not a berth container spec (expected \"" + std::string(kHeader) +
                         "\" first)");
  }
  ++pos;
  ContainerSpec spec;
  spec.init_argv.clear();
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return DataLossError("container spec: line without '='");
    std::string_view key = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    bool ok = true;
    int64_t n = 0;
    if (key == "name") {
      spec.name = value;
    } else if (key == "project_id") {
      spec.project_id = value;
    } else if (key == "image") {
      spec.image = value;
    } else if (key == "project_parent_dir") {
      spec.project_parent_dir = value;
    } else if (key == "init") {
      spec.init_argv.emplace_back(value);
    } else if (key == "halt_signal") {
      ok = ParseNumber(value, &spec.halt_signal);
    } else if (key == "hostname") {
      spec.hostname = value;
    } else if (key == "memory_bytes") {
      ok = ParseNumber(value, &n);
      spec.limits.memory_bytes = n;
    } else if (key == "swap_bytes") {
      ok = ParseNumber(value, &n);
      spec.limits.swap_bytes = n;
    } else if (key == "cpu_weight") {
      ok = ParseNumber(value, &n);
      spec.limits.cpu_weight = n;
    } else if (key == "cpu_cores") {
      double d = 0;
      ok = ParseDouble(value, &d);
      spec.limits.cpu_cores = d;
    } else if (key == "pids") {
      ok = ParseNumber(value, &n);
      spec.limits.pids = n;
    } else if (key == "blkio_weight") {
      ok = ParseNumber(value, &n);
      spec.limits.blkio_weight = n;
    } else if (key == "network_bridge") {
      spec.network.bridge = value;
    } else if (key == "network_address") {
      spec.network.address = value;
    } else if (key == "network_gateway") {
      spec.network.gateway = value;
    }
    if (!ok) {
      return DataLossError("container spec: bad value for " + std::string(key) + ": \"" +
                           std::string(value.substr(0, 40)) + "\"");
    }
  }
  if (spec.init_argv.empty()) spec.init_argv = {"/sbin/init"};
  RETURN_IF_ERROR(spec.Validate().WithContext("container spec"));
  return spec;
}

}  // namespace berth::runtime
