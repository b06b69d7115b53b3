#include "cmd/cli_context.h"

#include <iostream>

namespace berth::cmd {

void PrintResult(const GlobalFlags& flags, const nlohmann::json& value, const std::string& text) {
  if (flags.json) {
    std::cout << value.dump(2) << "\n";
  } else if (!text.empty()) {
    std::cout << text;
    if (text.back() != '\n') std::cout << "\n";
  }
}

int ReportFailure(const GlobalFlags& flags, const Status& status) {
  if (flags.json) {
    nlohmann::json error = {{"error", status.message()},
                            {"code", std::string(StatusCodeName(status.code()))}};
    std::cerr << error.dump() << "\n";
  } else {
    std::cerr << "berth: " << status.message() << "\n";
  }
  return kExitFailure;
}

}  // namespace berth::cmd
