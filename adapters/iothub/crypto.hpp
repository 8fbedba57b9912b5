#pragma once
// The cryptography IoT Hub's wire needs, on OpenSSL: the HMAC-SHA256 of SAS
// signatures and random bytes for keys. (Base64 is domain/base64.hpp, also
// OpenSSL's.) Pure functions; never throw.

#include <cstddef>
#include <string>
#include <string_view>

namespace offhub::iothub {

// The 32-byte HMAC-SHA256 of `message` under the raw `key` bytes.
std::string HmacSha256(std::string_view key, std::string_view message);

// True when a and b are equal, in time that does not depend on where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// `count` bytes from OpenSSL's CSPRNG (RAND_bytes). Throws std::runtime_error
// only if the generator cannot be seeded, which leaves nothing safe to do.
std::string RandomBytes(std::size_t count);

// A new symmetric key as IoT Hub generates them: 32 random bytes, base64
// (44 characters).
std::string NewSymmetricKey();

}  // namespace offhub::iothub
