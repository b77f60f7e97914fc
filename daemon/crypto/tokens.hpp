// Random tokens, digests and signatures (OpenSSL).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace frontdoor::crypto {

// `bytes` bytes from the OS's secure generator, as lower-case hex. Throws when none is available.
std::string random_hex(std::size_t bytes);

// SHA-256 of `text`, lower-case hex.
std::string sha256_hex(std::string_view text);

// HMAC-SHA256 of `text` under `key`, lower-case hex (RFC 4231 vectors in the unit tests).
std::string hmac_sha256_hex(std::string_view key, std::string_view text);

// a == b without a timing that tells how much of them matched (for signatures).
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace frontdoor::crypto
