#pragma once
// How the query module reports a malformed query: 400 ArgumentInvalid (400004,
// "the body of the request is not valid"), message
// "The query is invalid: <reason> (column <n>)". IoT Hub itself answers
// "The query is invalid. Please check the format of the query and try again."
// without a position; offhub adds the column (1-based, in bytes) and the reason.

#include <cstddef>
#include <string>
#include <string_view>

#include "domain/errors.hpp"

namespace offhub::domain::query {

inline Error SyntaxError(std::size_t column, std::string_view reason) {
  return Error::ArgumentInvalid("The query is invalid: " + std::string(reason) + " (column " +
                                std::to_string(column) + ")");
}

}  // namespace offhub::domain::query
