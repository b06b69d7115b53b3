#ifndef BERTH_CMD_SIZE_PARSE_H_
#define BERTH_CMD_SIZE_PARSE_H_

#include <cstdint>
#include <string>

#include "base/status.h"

namespace berth::cmd {

// "1048576", "512K", "10M", "2G", "1T" (binary units, optional trailing "B" or "iB"); "0" means
// unlimited wherever a size is a limit.
Result<uint64_t> ParseSize(const std::string& text);

}  // namespace berth::cmd

#endif  // BERTH_CMD_SIZE_PARSE_H_
