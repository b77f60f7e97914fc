// Digests and signatures: published test vectors, and the interpreting vendor's signature.
#include <catch2/catch.hpp>

#include "daemon/crypto/tokens.hpp"
#include "daemon/interpreting/interpreting.hpp"

using namespace frontdoor;

TEST_CASE("HMAC-SHA256 matches RFC 4231") {
  // Test case 2.
  CHECK(crypto::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 1: key 0x0b × 20, "Hi There".
  CHECK(crypto::hmac_sha256_hex(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Empty key and text are still signed.
  CHECK(crypto::hmac_sha256_hex("", "").size() == 64);
}

TEST_CASE("SHA-256 matches FIPS 180-2") {
  CHECK(crypto::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("the vendor's signature covers the timestamp and the body") {
  const auto signature = interpreting::vendor_signature("secret", "1795600000", R"({"a":1})");
  CHECK(signature == "v1=" + crypto::hmac_sha256_hex("secret", R"(1795600000.{"a":1})"));
  CHECK(signature != interpreting::vendor_signature("secret", "1795600001", R"({"a":1})"));
  CHECK(signature != interpreting::vendor_signature("secret", "1795600000", R"({"a":2})"));
  CHECK(signature != interpreting::vendor_signature("other", "1795600000", R"({"a":1})"));
  CHECK(crypto::equal_in_constant_time(signature, signature));
  CHECK_FALSE(crypto::equal_in_constant_time(signature, signature.substr(1)));
}
