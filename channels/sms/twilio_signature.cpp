#include "channels/sms/twilio_signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/url/parse_query.hpp>

#include <algorithm>
#include <stdexcept>

#include "daemon/crypto/tokens.hpp"

namespace frontdoor::sms {

std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const FormParams& params) {
  std::vector<const FormParams::value_type*> ordered;
  ordered.reserve(params.size());
  for (const auto& param : params) ordered.push_back(&param);
  std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) { return *a < *b; });
  ordered.erase(std::unique(ordered.begin(), ordered.end(),
                            [](const auto* a, const auto* b) { return *a == *b; }),
                ordered.end());

  std::string data(url);
  for (const auto* param : ordered) {
    data += param->first;
    data += param->second;
  }

  static const char kEmpty[] = "";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha1(), auth_token.empty() ? kEmpty : auth_token.data(),
           static_cast<int>(auth_token.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), mac, &mac_length) == nullptr) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }

  // EVP_EncodeBlock writes 4 characters per 3 bytes (rounded up) plus a terminating NUL.
  std::string encoded(4 * ((mac_length + 2) / 3) + 1, '\0');
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), mac, mac_length);
  encoded.resize(static_cast<std::size_t>(length));
  return encoded;
}

bool verify_twilio_signature(std::string_view auth_token, std::string_view url,
                             const FormParams& params, std::string_view header_value) {
  if (auth_token.empty() || header_value.empty()) return false;
  const std::string expected = twilio_signature(auth_token, url, params);
  return crypto::equal_in_constant_time(header_value, expected);
}

std::optional<FormParams> parse_form(std::string_view body) {
  const auto fields = boost::urls::parse_query(body);
  if (!fields) return std::nullopt;
  boost::urls::encoding_opts form;
  form.space_as_plus = true;
  FormParams params;
  for (const auto field : *fields) {
    if (field.key.empty() && !field.has_value) continue;
    params.emplace_back(field.key.decode(form),
                        field.has_value ? field.value.decode(form) : std::string());
  }
  return params;
}

}  // namespace frontdoor::sms
