#ifndef BERTH_CLUSTER_INTERNAL_REQUEST_FIELDS_H_
#define BERTH_CLUSTER_INTERNAL_REQUEST_FIELDS_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "base/status.h"

namespace berth::cluster::internal {

// Reads a field a control request must have, of the right type; InvalidArgument naming it.
template <typename T>
Result<T> Field(const nlohmann::json& request, const char* name) {
  if (!request.contains(name)) {
    return InvalidArgumentError(std::string("missing field \"") + name + "\"");
  }
  try {
    return request.at(name).get<T>();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgumentError(std::string("field \"") + name + "\" has the wrong type");
  }
}

// A field a request may have; empty when absent or null.
template <typename T>
Result<std::optional<T>> OptionalField(const nlohmann::json& request, const char* name) {
  if (!request.contains(name) || request.at(name).is_null()) return std::optional<T>();
  ASSIGN_OR_RETURN(T value, Field<T>(request, name));
  return std::optional<T>(value);
}

}  // namespace berth::cluster::internal

#endif  // BERTH_CLUSTER_INTERNAL_REQUEST_FIELDS_H_
