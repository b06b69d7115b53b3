// Metadata micro benchmark for bench/fs_bench.sh: in DIR, creates N empty files (open O_CREAT
// then close), stats them all twice (the second pass is "hot": the kernel may answer from its
// caches), and unlinks them. Prints one line of wall seconds:
//
//   metadata_bench DIR [N]   ->   "create S stat_cold S stat_hot S unlink S"
//
// Plain POSIX calls only, so the same binary measures ext4, bindfs and a berth mount alike.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

[[noreturn]] void Die(const char* what, const std::string& path) {
  std::fprintf(stderr, "metadata_bench: %s %s: %s\n", what, path.c_str(), std::strerror(errno));
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: metadata_bench DIR [N]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const long n = argc == 3 ? std::strtol(argv[2], nullptr, 10) : 15000;
  std::vector<std::string> paths;
  paths.reserve(static_cast<size_t>(n));
  for (long i = 0; i < n; ++i) paths.push_back(dir + "/f" + std::to_string(i));

  auto start = std::chrono::steady_clock::now();
  for (const std::string& p : paths) {
    const int fd = open(p.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) Die("create", p);
    if (close(fd) != 0) Die("close", p);
  }
  const double create_s = Seconds(start);

  double stat_s[2];
  for (double& s : stat_s) {
    start = std::chrono::steady_clock::now();
    for (const std::string& p : paths) {
      struct stat st;
      if (stat(p.c_str(), &st) != 0) Die("stat", p);
    }
    s = Seconds(start);
  }

  start = std::chrono::steady_clock::now();
  for (const std::string& p : paths) {
    if (unlink(p.c_str()) != 0) Die("unlink", p);
  }
  const double unlink_s = Seconds(start);

  std::printf("create %.6f stat_cold %.6f stat_hot %.6f unlink %.6f\n", create_s, stat_s[0],
              stat_s[1], unlink_s);
  return 0;
}
