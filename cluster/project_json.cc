#include "cluster/project_json.h"

namespace berth::cluster {

nlohmann::json ProjectToJson(const ProjectRecord& p) {
  return {{"v", 1},
          {"id", p.id.ToString()},
          {"name", p.name},
          {"quota_bytes", p.quota_bytes},
          {"quota_inodes", p.quota_inodes},
          {"io",
           {{"read_bytes_per_second", p.io.read_bytes_per_second},
            {"write_bytes_per_second", p.io.write_bytes_per_second},
            {"iops", p.io.iops}}},
          {"mounted", p.mounted},
          {"running", p.running},
          {"limits",
           {{"memory_bytes", p.limits.memory_bytes},
            {"swap_bytes", p.limits.swap_bytes},
            {"cpu_cores", p.limits.cpu_cores},
            {"cpu_weight", p.limits.cpu_weight},
            {"pids", p.limits.pids},
            {"blkio_weight", p.limits.blkio_weight}}},
          {"network_address", p.network_address},
          {"created_ms", p.created_ms}};
}

Result<ProjectRecord> ProjectFromJson(const nlohmann::json& j) {
  try {
    if (!j.is_object() || j.value("v", 0) != 1) {
      return InvalidArgumentError("project record of unknown version");
    }
    ProjectRecord p;
    ASSIGN_OR_RETURN(p.id, fs::ProjectId::Parse(j.at("id").get<std::string>()));
    p.name = j.at("name").get<std::string>();
    p.quota_bytes = j.at("quota_bytes").get<uint64_t>();
    p.quota_inodes = j.at("quota_inodes").get<uint64_t>();
    const auto& io = j.at("io");
    p.io.read_bytes_per_second = io.at("read_bytes_per_second").get<uint64_t>();
    p.io.write_bytes_per_second = io.at("write_bytes_per_second").get<uint64_t>();
    p.io.iops = io.at("iops").get<uint64_t>();
    p.mounted = j.at("mounted").get<bool>();
    p.created_ms = j.at("created_ms").get<int64_t>();
    // Added after the first records were written: absent means not running, no limits.
    p.running = j.value("running", false);
    if (j.contains("limits")) {
      const auto& l = j.at("limits");
      p.limits.memory_bytes = l.value("memory_bytes", uint64_t{0});
      p.limits.swap_bytes = l.value("swap_bytes", uint64_t{0});
      p.limits.cpu_cores = l.value("cpu_cores", 0.0);
      p.limits.cpu_weight = l.value("cpu_weight", uint64_t{0});
      p.limits.pids = l.value("pids", uint64_t{0});
      p.limits.blkio_weight = l.value("blkio_weight", uint64_t{0});
    }
    p.network_address = j.value("network_address", std::string());
    return p;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("malformed project record: ") + e.what());
  }
}

}  // namespace berth::cluster
