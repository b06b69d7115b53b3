#include "cmd/snapshot_commands.h"

#include <unistd.h>

#include <ctime>
#include <iomanip>
#include <memory>
#include <sstream>

#include "cmd/daemon_call.h"
#include "cmd/progress.h"

namespace berth::cmd {

namespace {

using nlohmann::json;

struct SnapshotFlags {
  std::string socket;
  std::string project;
  std::string ref, other_ref;
  std::string label;
  std::string path;
  std::string to;
  bool deep = false;
};

// "2026-11-25 14:05:03" in local time, for tables.
std::string LocalTime(int64_t ns) {
  const time_t seconds = static_cast<time_t>(ns / 1'000'000'000);
  tm local{};
  localtime_r(&seconds, &local);
  char out[32];
  strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S", &local);
  return out;
}

// "drwxr-xr-x" for a mode.
std::string ModeString(uint32_t mode) {
  const char* types = "?pc?d?b?-?l?s???";
  std::string out(1, types[(mode >> 12) & 0xf]);
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) out += (mode & (0400 >> i)) ? rwx[i] : '-';
  if (mode & 04000) out[3] = (mode & 0100) ? 's' : 'S';
  if (mode & 02000) out[6] = (mode & 010) ? 's' : 'S';
  if (mode & 01000) out[9] = (mode & 01) ? 't' : 'T';
  return out;
}

std::string DescribeSnapshot(const json& s) {
  std::ostringstream out;
  out << std::left << std::setw(26) << s["id"].get<std::string>() << std::setw(16)
      << s.value("label", "") << std::right << std::setw(9) << s["files"].get<uint64_t>()
      << std::setw(12) << HumanBytes(s["bytes"].get<uint64_t>()) << std::setw(12)
      << HumanBytes(s["new_bytes"].get<uint64_t>());
  return out.str();
}

std::string SnapshotTable(const json& list) {
  std::ostringstream out;
  out << std::left << std::setw(26) << "SNAPSHOT" << std::setw(16) << "LABEL" << std::right
      << std::setw(9) << "FILES" << std::setw(12) << "BYTES" << std::setw(12) << "NEW" << "\n";
  for (const auto& s : list) out << DescribeSnapshot(s) << "\n";
  return out.str();
}

std::string Listing(const json& r) {
  std::ostringstream out;
  for (const auto& e : r["entries"]) {
    out << ModeString(e["mode"].get<uint32_t>()) << " " << std::setw(6) << e["uid"].get<uint32_t>()
        << " " << std::setw(6) << e["gid"].get<uint32_t>() << " " << std::setw(12)
        << e["size"].get<uint64_t>() << " " << LocalTime(e["mtime_ns"].get<int64_t>()) << " "
        << e["name"].get<std::string>();
    if (e.contains("target")) out << " -> " << e["target"].get<std::string>();
    out << "\n";
  }
  return out.str();
}

std::string DiffLines(const json& r) {
  std::ostringstream out;
  for (const auto& [key, mark] : {std::pair{"added", '+'}, {"removed", '-'}, {"modified", 'M'}}) {
    for (const auto& path : r[key]) out << mark << " " << path.get<std::string>() << "\n";
  }
  return out.str();
}

std::string VersionTable(const json& list) {
  std::ostringstream out;
  out << std::left << std::setw(26) << "SNAPSHOT" << std::setw(21) << "MODIFIED" << std::right
      << std::setw(12) << "SIZE" << "\n";
  for (const auto& v : list) {
    out << std::left << std::setw(26) << v["snapshot"].get<std::string>() << std::setw(21)
        << LocalTime(v["mtime_ns"].get<int64_t>()) << std::right << std::setw(12)
        << v["size"].get<uint64_t>() << "\n";
  }
  return out.str();
}

std::string Counts(const std::string& what, const json& r) {
  std::ostringstream out;
  out << what << " " << r.value("files", uint64_t{0}) << " files ("
      << HumanBytes(r.value("bytes", uint64_t{0})) << "), " << r.value("directories", uint64_t{0})
      << " directories";
  return out.str();
}

void AddSocket(CLI::App* cmd, SnapshotFlags* f) {
  cmd->add_option("--socket", f->socket, "the daemon's control socket (or $BERTH_SOCKET)");
}

}  // namespace

void AddSnapshotCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  auto f = std::make_shared<SnapshotFlags>();
  auto run = [&flags, f, exit_code](CLI::App* cmd, std::function<int()> body) {
    AddSocket(cmd, f.get());
    cmd->callback([body, exit_code] { *exit_code = body(); });
  };

  CLI::App* take = app.add_subcommand("snapshot", "Take a snapshot of a project now");
  take->add_option("PROJECT", f->project, "id or name")->required();
  take->add_option("--label", f->label, "a name to find it by; labelled snapshots are kept");
  run(take, [&flags, f] {
    json request = {{"op", "snapshot.create"}, {"project", f->project}};
    if (!f->label.empty()) request["label"] = f->label;
    return CallAndPrint(flags, f->socket, request,
                        [](const json& s) { return "snapshot " + s["id"].get<std::string>(); });
  });

  CLI::App* list = app.add_subcommand("snapshots", "List a project's snapshots");
  list->add_option("PROJECT", f->project, "id or name")->required();
  run(list, [&flags, f] {
    return CallAndPrint(flags, f->socket, {{"op", "snapshot.list"}, {"project", f->project}},
                        SnapshotTable);
  });

  CLI::App* ls = app.add_subcommand("ls", "List a directory of a snapshot");
  ls->add_option("REF", f->ref, "PROJECT@SNAPSHOT[:PATH], e.g. demo@latest:notes")->required();
  run(ls, [&flags, f] {
    return CallAndPrint(flags, f->socket, {{"op", "snapshot.ls"}, {"ref", f->ref}}, Listing);
  });

  CLI::App* cat = app.add_subcommand("cat", "Write a file of a snapshot to stdout");
  cat->add_option("REF", f->ref, "PROJECT@SNAPSHOT:PATH")->required();
  run(cat, [&flags, f] {
    const int out[] = {STDOUT_FILENO};
    // The daemon writes the bytes straight into our stdout; nothing else is printed.
    return CallAndPrint(flags, f->socket, {{"op", "snapshot.cat"}, {"ref", f->ref}},
                        [](const json&) { return std::string(); }, nullptr, out);
  });

  CLI::App* diff = app.add_subcommand("diff", "What changed between two snapshots");
  diff->add_option("A", f->ref, "PROJECT@SNAPSHOT[:PATH]")->required();
  diff->add_option("B", f->other_ref, "PROJECT@SNAPSHOT[:PATH]")->required();
  run(diff, [&flags, f] {
    return CallAndPrint(flags, f->socket,
                        {{"op", "snapshot.diff"}, {"a", f->ref}, {"b", f->other_ref}}, DiffLines);
  });

  CLI::App* versions = app.add_subcommand("versions", "Each distinct content of a file over all snapshots");
  versions->add_option("PROJECT", f->project, "id or name")->required();
  versions->add_option("PATH", f->path, "path inside the project")->required();
  run(versions, [&flags, f] {
    return CallAndPrint(
        flags, f->socket,
        {{"op", "snapshot.versions"}, {"project", f->project}, {"path", f->path}}, VersionTable);
  });

  CLI::App* restore = app.add_subcommand(
      "restore", "Restore a file, a folder or the whole project from a snapshot");
  restore->add_option("REF", f->ref, "PROJECT@SNAPSHOT[:PATH]")->required();
  restore->add_option("--to", f->to, "restore into this directory instead of in place");
  run(restore, [&flags, f] {
    json request = {{"op", "snapshot.restore"}, {"ref", f->ref}};
    if (!f->to.empty()) request["to"] = AbsolutePath(f->to);
    return CallAndPrint(flags, f->socket, request,
                        [](const json& r) { return Counts("restored", r); });
  });

  CLI::App* export_cmd = app.add_subcommand("export", "Copy a snapshot out to a directory");
  export_cmd->add_option("REF", f->ref, "PROJECT@SNAPSHOT[:PATH]")->required();
  export_cmd->add_option("DIR", f->to, "target directory (created; must be empty if it exists)")
      ->required();
  run(export_cmd, [&flags, f] {
    return CallAndPrint(flags, f->socket,
                        {{"op", "snapshot.export"}, {"ref", f->ref}, {"to", AbsolutePath(f->to)}},
                        [](const json& r) { return Counts("exported", r); });
  });

  CLI::App* gc = app.add_subcommand("gc", "Reclaim chunks no live file or retained snapshot uses");
  run(gc, [&flags, f] {
    return CallAndPrint(flags, f->socket, {{"op", "gc"}}, [](const json& r) {
      std::ostringstream out;
      out << "gc: " << r.value("marked", uint64_t{0}) << " objects in use, "
          << r.value("erased", uint64_t{0}) << " erased ("
          << HumanBytes(r.value("erased_bytes", uint64_t{0})) << ")";
      return out.str();
    });
  });

  CLI::App* fsck = app.add_subcommand(
      "fsck", "Check that every reference of the live trees and retained snapshots resolves");
  fsck->add_flag("--deep", f->deep, "also decrypt, decompress and re-hash every object");
  // A damaged store is an error answer (DATA_LOSS, listing what is wrong): exit code 1.
  run(fsck, [&flags, f] {
    return CallAndPrint(flags, f->socket, {{"op", "fsck"}, {"deep", f->deep}}, [](const json& r) {
      std::ostringstream out;
      out << "fsck: clean; " << r.value("objects", uint64_t{0}) << " objects checked in "
          << r.value("snapshots", uint64_t{0}) << " snapshots and "
          << r.value("projects", uint64_t{0}) << " live trees";
      return out.str();
    });
  });
}

}  // namespace berth::cmd
