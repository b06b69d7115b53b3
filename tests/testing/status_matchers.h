#ifndef BERTH_TESTS_TESTING_STATUS_MATCHERS_H_
#define BERTH_TESTS_TESTING_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/status.h"

namespace berth::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.status();
}

// Matches a Status or Result whose code is `code`: EXPECT_THAT(x, StatusIs(StatusCode::kNotFound)).
MATCHER_P(StatusIs, code, "has status code " + std::string(StatusCodeName(code))) {
  const Status& s = GetStatus(arg);
  *result_listener << "whose status is " << s.ToString();
  return s.code() == code;
}

// Matches a Status or Result whose message contains `text`.
MATCHER_P(StatusMessageHas, text, "has an error message containing \"" + std::string(text) + "\"") {
  const Status& s = GetStatus(arg);
  *result_listener << "whose status is " << s.ToString();
  return !s.ok() && s.message().find(text) != std::string::npos;
}

}  // namespace berth::testing

#define EXPECT_OK(expr)                                                 \
  do {                                                                  \
    const ::berth::Status s_ = ::berth::testing::GetStatus(expr);       \
    EXPECT_TRUE(s_.ok()) << s_.ToString();                              \
  } while (0)
#define ASSERT_OK(expr)                                                 \
  do {                                                                  \
    const ::berth::Status s_ = ::berth::testing::GetStatus(expr);       \
    ASSERT_TRUE(s_.ok()) << s_.ToString();                              \
  } while (0)
// ASSERT_OK_AND_ASSIGN(auto x, F()): asserts F() is OK and binds its value.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(BERTH_CONCAT_(assert_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

#endif  // BERTH_TESTS_TESTING_STATUS_MATCHERS_H_
