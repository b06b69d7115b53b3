#ifndef BERTH_BASE_LOGGING_H_
#define BERTH_BASE_LOGGING_H_

#include <string_view>

#include "base/status.h"

namespace berth {

// Sends spdlog's default logger to stderr at `level` ("trace" … "off"). Call once from main.
Status InitLogging(std::string_view level);

}  // namespace berth

#endif  // BERTH_BASE_LOGGING_H_
