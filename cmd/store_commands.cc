#include "cmd/store_commands.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>

#include "base/file.h"
#include "cmd/control_client.h"
#include "cmd/progress.h"
#include "storage/data_dir.h"
#include "storage/file_ingest.h"
#include "storage/secret_key.h"
#include "storage/verifier.h"

namespace berth::cmd {

namespace {



struct StoreFlags {
  std::string data_dir = kDefaultDataDir;
  std::string encryption_key_file;
  int zstd_level = 3;
  bool deep = false;
  std::string source_dir;
  std::string key_file;
};

void AddDataDirFlags(CLI::App* cmd, StoreFlags* f) {
  cmd->add_option("--data-dir", f->data_dir, "berth data directory")->capture_default_str();
  cmd->add_option("--encryption-key-file", f->encryption_key_file,
                  "at-rest encryption key file (for an encrypted store)");
}

Result<std::unique_ptr<storage::DataDir>> OpenDataDir(const StoreFlags& f, bool create) {
  storage::DataDirOptions options;
  options.encryption_key_file = f.encryption_key_file;
  options.create = create;
  options.zstd_level = f.zstd_level;
  return storage::DataDir::Open(f.data_dir, options);
}

double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int RunStats(const GlobalFlags& g, const StoreFlags& f) {
  auto dir = OpenDataDir(f, /*create=*/false);
  if (!dir.ok()) return ReportFailure(g, dir.status());
  auto stats = (*dir)->chunks().Stats();
  if (!stats.ok()) return ReportFailure(g, stats.status());
  nlohmann::json out = {
      {"data_dir", f.data_dir},
      {"chunks", stats->chunks},
      {"data_chunks", stats->chunks_by_kind[1]},
      {"tree_chunks", stats->chunks_by_kind[2]},
      {"list_chunks", stats->chunks_by_kind[3]},
      {"plaintext_bytes", stats->plaintext_bytes},
      {"stored_bytes", stats->stored_bytes},
      {"disk_bytes", stats->disk_bytes},
  };
  std::ostringstream text;
  text << "data dir:   " << f.data_dir << "\n"
       << "chunks:     " << stats->chunks << " (" << stats->chunks_by_kind[1] << " data, "
       << stats->chunks_by_kind[2] << " tree, " << stats->chunks_by_kind[3] << " list)\n"
       << "plaintext:  " << HumanBytes(stats->plaintext_bytes) << "\n"
       << "stored:     " << HumanBytes(stats->stored_bytes) << "\n"
       << "on disk:    " << HumanBytes(stats->disk_bytes) << "\n";
  PrintResult(g, out, text.str());
  return kExitOk;
}

int RunVerify(const GlobalFlags& g, const StoreFlags& f) {
  auto dir = OpenDataDir(f, /*create=*/false);
  if (!dir.ok()) return ReportFailure(g, dir.status());
  Progress progress(f.deep ? "deep verify" : "verify");
  storage::VerifyOptions options;
  options.deep = f.deep;
  options.progress = [&](uint64_t n) { progress.Update(n, 0, "chunks"); };
  auto report = storage::VerifyStore((*dir)->chunks(), options);
  progress.Finish();
  if (!report.ok()) return ReportFailure(g, report.status());
  nlohmann::json problems = nlohmann::json::array();
  std::ostringstream text;
  for (const auto& p : report->problems) {
    problems.push_back({{"chunk", p.id.ToHex()}, {"problem", p.message}});
    text << "chunk " << p.id.ToHex() << ": " << p.message << "\n";
  }
  text << (f.deep ? "deep " : "") << "verify: " << report->chunks << " chunks, "
       << HumanBytes(report->stored_bytes) << ", " << report->problems.size() << " problems\n";
  PrintResult(g,
              {{"chunks", report->chunks},
               {"stored_bytes", report->stored_bytes},
               {"deep", f.deep},
               {"problems", problems}},
              text.str());
  return report->clean() ? kExitOk : kExitFailure;
}

// Stores every regular file under a directory: the write path on its own, for operators and the
// write-path benchmark. Prints what it read, stored and spent.
int RunIngest(const GlobalFlags& g, const StoreFlags& f) {
  auto dir = OpenDataDir(f, /*create=*/true);
  if (!dir.ok()) return ReportFailure(g, dir.status());
  storage::Chunker chunker;
  storage::FileIngester ingester((*dir)->chunks(), chunker);
  auto start = std::chrono::steady_clock::now();
  double cpu_start = CpuSeconds();
  uint64_t files = 0, bytes = 0, chunks = 0, new_chunks = 0, new_stored = 0;
  Progress progress("ingest");
  std::error_code ec;
  namespace fs = std::filesystem;
  fs::recursive_directory_iterator it(f.source_dir, fs::directory_options::none, ec);
  if (ec) return ReportFailure(g, PosixError("open " + f.source_dir, ec.value()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return ReportFailure(g, PosixError("walk " + f.source_dir, ec.value()));
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const std::string path = it->path().string();
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return ReportFailure(g, PosixError("open " + path, errno));
    auto file = ingester.Ingest(fd.get(), path);
    if (!file.ok()) return ReportFailure(g, file.status());
    ++files;
    bytes += file->size;
    chunks += file->chunks.size();
    new_chunks += file->new_chunks;
    new_stored += file->new_stored_bytes;
    progress.Update(files, 0, "files, " + HumanBytes(bytes));
  }
  progress.Finish();
  Status closed = (*dir)->Close();
  if (!closed.ok()) return ReportFailure(g, closed);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu = CpuSeconds() - cpu_start;
  nlohmann::json out = {{"files", files},           {"bytes", bytes},
                        {"chunks", chunks},         {"new_chunks", new_chunks},
                        {"new_stored_bytes", new_stored}, {"wall_seconds", wall},
                        {"cpu_seconds", cpu}};
  std::ostringstream text;
  text << "ingested " << files << " files, " << HumanBytes(bytes) << " in " << wall << " s ("
       << (cpu > 0 ? static_cast<double>(bytes) / 1e6 / cpu : 0) << " MB per CPU-second)\n"
       << "chunks: " << chunks << ", new: " << new_chunks << ", stored "
       << HumanBytes(new_stored) << "\n";
  PrintResult(g, out, text.str());
  return kExitOk;
}

int RunKeyGenerate(const GlobalFlags& g, const StoreFlags& f) {
  if (PathExists(f.key_file)) {
    return ReportFailure(g, AlreadyExistsError("key file " + f.key_file +
                                               " exists; refusing to overwrite a key"));
  }
  Status saved = storage::SecretKey::Generate().SaveFile(f.key_file);
  if (!saved.ok()) return ReportFailure(g, saved);
  PrintResult(g, {{"key_file", f.key_file}}, "wrote a new key to " + f.key_file + " (mode 0600)");
  return kExitOk;
}

}  // namespace

void AddStoreCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  auto f = std::make_shared<StoreFlags>();
  CLI::App* store = app.add_subcommand("store", "Inspect and check a node's chunk store");
  store->require_subcommand(1);

  CLI::App* stats = store->add_subcommand("stats", "Count chunks and bytes in the store");
  AddDataDirFlags(stats, f.get());
  stats->callback([&flags, f, exit_code] { *exit_code = RunStats(flags, *f); });

  CLI::App* verify = store->add_subcommand(
      "verify", "Check every record's checksum (--deep: decode and re-hash every chunk)");
  AddDataDirFlags(verify, f.get());
  verify->add_flag("--deep", f->deep, "decrypt, decompress and recompute every chunk id");
  verify->callback([&flags, f, exit_code] { *exit_code = RunVerify(flags, *f); });

  CLI::App* ingest = store->add_subcommand(
      "ingest", "Chunk, compress and store every file under a directory (the write path)");
  AddDataDirFlags(ingest, f.get());
  ingest->add_option("DIR", f->source_dir, "directory to read")->required();
  ingest->add_option("--zstd-level", f->zstd_level, "zstd level for new chunks")
      ->check(CLI::Range(1, 19))
      ->capture_default_str();
  ingest->callback([&flags, f, exit_code] { *exit_code = RunIngest(flags, *f); });

  CLI::App* key = app.add_subcommand("key", "Manage key files");
  key->require_subcommand(1);
  CLI::App* generate = key->add_subcommand("generate", "Write a new random 256-bit key file");
  generate->add_option("FILE", f->key_file, "where to write it (mode 0600)")->required();
  generate->callback([&flags, f, exit_code] { *exit_code = RunKeyGenerate(flags, *f); });
}

}  // namespace berth::cmd
