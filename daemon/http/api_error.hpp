// One error vocabulary for every HTTP edge, mapped to statuses in one place (api_error.cpp).
// The message is for the client; `detail` is for the log only and never sent.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace frontdoor::http {

enum class ErrorCode {
  bad_request,             // 400 malformed request line, form or query
  invalid_json,            // 400 body is not JSON, or not the expected shape
  invalid_utf8,            // 400 text is not valid UTF-8
  missing_field,           // 400 a required field is absent
  invalid_field,           // 400 a field has a value we cannot accept
  unauthorized,            // 401 no or bad credentials; expired token
  forbidden,               // 403 authenticated, but the role may not do this
  not_found,               // 404
  method_not_allowed,      // 405
  conflict,                // 409 state does not allow it (e.g. replying to a closed conversation)
  payload_too_large,       // 413 body or frame over the limit
  unsupported_media_type,  // 415
  unavailable,             // 503 the store is unreachable: try again, nothing was accepted
  internal,                // 500
};

int http_status(ErrorCode code);
std::string_view code_name(ErrorCode code);

class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorCode code, std::string message, std::string detail = {})
      : std::runtime_error(message), code_(code), detail_(std::move(detail)) {}
  ErrorCode code() const { return code_; }
  const std::string& detail() const { return detail_; }

 private:
  ErrorCode code_;
  std::string detail_;
};

// {"error":{"code":"...","message":"..."}}
std::string error_json(ErrorCode code, std::string_view message);

}  // namespace frontdoor::http
