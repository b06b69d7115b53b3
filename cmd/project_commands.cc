#include "cmd/project_commands.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <iomanip>
#include <memory>
#include <sstream>

#include "cmd/daemon_call.h"
#include "cmd/progress.h"
#include "cmd/size_parse.h"

namespace berth::cmd {

namespace {

using nlohmann::json;

struct ProjectFlags {
  std::string socket;
  std::string project;
  std::string name;
  std::string quota;
  std::string inodes;
  std::string read_bps, write_bps, iops;
  std::string source;
};

int Call(const GlobalFlags& g, const ProjectFlags& f, const json& request,
         const std::function<std::string(const json&)>& describe,
         const std::function<void(const json&)>& on_progress = nullptr) {
  return CallAndPrint(g, f.socket, request, describe, on_progress);
}

// Adds a size field ("10G") or a count to the request when the flag was given.
Status AddSize(json& request, const char* key, const std::string& text) {
  if (text.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(uint64_t value, ParseSize(text));
  request[key] = value;
  return Status::Ok();
}

std::string Limit(uint64_t used, uint64_t limit, bool bytes) {
  std::string u = bytes ? HumanBytes(used) : std::to_string(used);
  return limit == 0 ? u : u + " / " + (bytes ? HumanBytes(limit) : std::to_string(limit));
}

std::string DescribeProject(const json& p) {
  std::ostringstream out;
  out << p["name"].get<std::string>() << "  " << p["id"].get<std::string>();
  if (p.contains("usage")) {
    out << "\n  mounted: " << (p["mounted"].get<bool>() ? p["mountpoint"].get<std::string>() : "no")
        << "\n  bytes:   " << Limit(p["usage"]["bytes"], p["quota_bytes"], true)
        << "\n  inodes:  " << Limit(p["usage"]["inodes"], p["quota_inodes"], false);
  }
  return out.str();
}

int RunCreate(const GlobalFlags& g, const ProjectFlags& f) {
  json request = {{"op", "project.create"}, {"name", f.name}};
  for (Status s : {AddSize(request, "quota_bytes", f.quota), AddSize(request, "quota_inodes", f.inodes)}) {
    if (!s.ok()) return ReportFailure(g, s);
  }
  return Call(g, f, request, [](const json& p) {
    return "created project " + p["name"].get<std::string>() + " (" + p["id"].get<std::string>() + ")";
  });
}

int RunList(const GlobalFlags& g, const ProjectFlags& f) {
  return Call(g, f, {{"op", "project.list"}}, [](const json& list) {
    std::ostringstream out;
    out << std::left << std::setw(20) << "NAME" << std::setw(38) << "ID" << std::setw(9)
        << "MOUNTED" << std::setw(26) << "BYTES" << "INODES\n";
    for (const auto& p : list) {
      out << std::setw(20) << p["name"].get<std::string>() << std::setw(38)
          << p["id"].get<std::string>() << std::setw(9) << (p["mounted"].get<bool>() ? "yes" : "no")
          << std::setw(26) << Limit(p["usage"]["bytes"], p["quota_bytes"], true)
          << Limit(p["usage"]["inodes"], p["quota_inodes"], false) << "\n";
    }
    return out.str();
  });
}

int RunSet(const GlobalFlags& g, const ProjectFlags& f) {
  json request = {{"op", "project.set"}, {"project", f.project}};
  if (!f.name.empty()) request["name"] = f.name;
  for (Status s : {AddSize(request, "quota_bytes", f.quota), AddSize(request, "quota_inodes", f.inodes),
                   AddSize(request, "read_bytes_per_second", f.read_bps),
                   AddSize(request, "write_bytes_per_second", f.write_bps),
                   AddSize(request, "iops", f.iops)}) {
    if (!s.ok()) return ReportFailure(g, s);
  }
  return Call(g, f, request, DescribeProject);
}

int RunImport(const GlobalFlags& g, const ProjectFlags& f) {
  char resolved[PATH_MAX];
  if (::realpath(f.source.c_str(), resolved) == nullptr) {
    return ReportFailure(g, PosixError("import source " + f.source, errno));
  }
  Progress progress("import");
  return Call(
      g, f, {{"op", "import"}, {"project", f.project}, {"source", resolved}},
      [&](const json& r) {
        progress.Finish();
        std::ostringstream out;
        out << "imported " << r["files"] << " files (" << HumanBytes(r["bytes"]) << "), "
            << r["directories"] << " directories, " << r["symlinks"] << " symlinks, "
            << r["hard_links"] << " hard links";
        return out.str();
      },
      [&](const json& p) {
        progress.Update(p["files"].get<uint64_t>(), 0,
                        "files, " + HumanBytes(p["bytes"].get<uint64_t>()));
      });
}

}  // namespace

void AddProjectCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  auto f = std::make_shared<ProjectFlags>();
  auto socket_flag = [f](CLI::App* cmd) {
    cmd->add_option("--socket", f->socket, "the daemon's control socket (or $BERTH_SOCKET)");
  };
  CLI::App* project = app.add_subcommand("project", "Create, list, change and delete projects");
  project->require_subcommand(1);

  CLI::App* create = project->add_subcommand("create", "Create a project");
  create->add_option("NAME", f->name, "a unique name")->required();
  create->add_option("--quota", f->quota, "byte quota, e.g. 10G (0: none)");
  create->add_option("--inodes", f->inodes, "inode quota (0: none)");
  socket_flag(create);
  create->callback([&flags, f, exit_code] { *exit_code = RunCreate(flags, *f); });

  CLI::App* list = project->add_subcommand("list", "List projects with their usage");
  socket_flag(list);
  list->callback([&flags, f, exit_code] { *exit_code = RunList(flags, *f); });

  CLI::App* set = project->add_subcommand("set", "Change a project's name, quotas or I/O limits");
  set->add_option("PROJECT", f->project, "id or name")->required();
  set->add_option("--name", f->name, "new name");
  set->add_option("--quota", f->quota, "byte quota, e.g. 10G (0: none)");
  set->add_option("--inodes", f->inodes, "inode quota (0: none)");
  set->add_option("--read-bps", f->read_bps, "read bandwidth limit, bytes/s (e.g. 50M; 0: none)");
  set->add_option("--write-bps", f->write_bps, "write bandwidth limit, bytes/s (0: none)");
  set->add_option("--iops", f->iops, "I/O operations per second (0: none)");
  socket_flag(set);
  set->callback([&flags, f, exit_code] { *exit_code = RunSet(flags, *f); });

  CLI::App* remove = project->add_subcommand("delete", "Delete a project (refused while mounted)");
  remove->add_option("PROJECT", f->project, "id or name")->required();
  socket_flag(remove);
  remove->callback([&flags, f, exit_code] {
    *exit_code = Call(flags, *f, {{"op", "project.delete"}, {"project", f->project}},
                      [f](const json&) { return "deleted " + f->project; });
  });

  CLI::App* mount = app.add_subcommand("mount", "Mount a project at <mount-root>/<id>");
  mount->add_option("PROJECT", f->project, "id or name")->required();
  socket_flag(mount);
  mount->callback([&flags, f, exit_code] {
    *exit_code = Call(flags, *f, {{"op", "mount"}, {"project", f->project}}, DescribeProject);
  });

  CLI::App* umount = app.add_subcommand("umount", "Commit and unmount a project");
  umount->add_option("PROJECT", f->project, "id or name")->required();
  socket_flag(umount);
  umount->callback([&flags, f, exit_code] {
    *exit_code = Call(flags, *f, {{"op", "umount"}, {"project", f->project}},
                      [f](const json&) { return "unmounted " + f->project; });
  });

  CLI::App* import = app.add_subcommand("import", "Copy a directory tree into a project");
  import->add_option("PROJECT", f->project, "id or name")->required();
  import->add_option("DIR", f->source, "directory to copy in")->required();
  socket_flag(import);
  import->callback([&flags, f, exit_code] { *exit_code = RunImport(flags, *f); });
}

}  // namespace berth::cmd
