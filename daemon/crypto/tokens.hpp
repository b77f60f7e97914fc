// Random tokens and digests (OpenSSL).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace frontdoor::crypto {

// `bytes` bytes from the OS's secure generator, as lower-case hex. Throws when none is available.
std::string random_hex(std::size_t bytes);

// SHA-256 of `text`, lower-case hex.
std::string sha256_hex(std::string_view text);

}  // namespace frontdoor::crypto
