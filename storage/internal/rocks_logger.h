#ifndef BERTH_STORAGE_INTERNAL_ROCKS_LOGGER_H_
#define BERTH_STORAGE_INTERNAL_ROCKS_LOGGER_H_

#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>

namespace berth::storage::internal {

// Sends RocksDB's info log to spdlog instead of a LOG file in the database directory. Besides
// keeping one log, this matters on a full disk: Debian's RocksDB asserts (and aborts the
// process) when its LOG file writer fails twice, and that is the first file to fail.
class SpdlogRocksLogger : public rocksdb::Logger {
 public:
  SpdlogRocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    char buf[1024];
    std::vsnprintf(buf, sizeof(buf), format, ap);
    switch (level) {
      case rocksdb::InfoLogLevel::DEBUG_LEVEL:
      case rocksdb::InfoLogLevel::INFO_LEVEL:
      case rocksdb::InfoLogLevel::HEADER_LEVEL: spdlog::debug("rocksdb: {}", buf); break;
      case rocksdb::InfoLogLevel::WARN_LEVEL: spdlog::warn("rocksdb: {}", buf); break;
      default: spdlog::error("rocksdb: {}", buf); break;
    }
  }
};

}  // namespace berth::storage::internal

#endif  // BERTH_STORAGE_INTERNAL_ROCKS_LOGGER_H_
