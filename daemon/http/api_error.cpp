#include "daemon/http/api_error.hpp"

#include <boost/json.hpp>

namespace frontdoor::http {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
    case ErrorCode::invalid_json:
    case ErrorCode::invalid_utf8:
    case ErrorCode::missing_field:
    case ErrorCode::invalid_field:
      return 400;
    case ErrorCode::unauthorized:
      return 401;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::method_not_allowed:
      return 405;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::payload_too_large:
      return 413;
    case ErrorCode::unsupported_media_type:
      return 415;
    case ErrorCode::unavailable:
      return 503;
    case ErrorCode::internal:
      return 500;
  }
  return 500;
}

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
      return "bad_request";
    case ErrorCode::invalid_json:
      return "invalid_json";
    case ErrorCode::invalid_utf8:
      return "invalid_utf8";
    case ErrorCode::missing_field:
      return "missing_field";
    case ErrorCode::invalid_field:
      return "invalid_field";
    case ErrorCode::unauthorized:
      return "unauthorized";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::method_not_allowed:
      return "method_not_allowed";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::payload_too_large:
      return "payload_too_large";
    case ErrorCode::unsupported_media_type:
      return "unsupported_media_type";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::internal:
      return "internal";
  }
  return "internal";
}

std::string error_json(ErrorCode code, std::string_view message) {
  boost::json::object error{{"code", code_name(code)}, {"message", message}};
  return boost::json::serialize(boost::json::object{{"error", std::move(error)}});
}

}  // namespace frontdoor::http
