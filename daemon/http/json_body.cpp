#include "daemon/http/json_body.hpp"

#include <boost/json/parse.hpp>

#include "daemon/http/api_error.hpp"
#include "i18n/text.hpp"

namespace frontdoor::http {

boost::json::object json_object_body(const HttpRequest& request) {
  std::string type = request.header("content-type");
  if (!type.empty() && type.find("json") == std::string::npos) {
    throw ApiError(ErrorCode::unsupported_media_type, "send the body as application/json");
  }
  if (!i18n::is_valid_utf8(request.body)) {
    throw ApiError(ErrorCode::invalid_utf8, "body is not valid UTF-8");
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body, ec);
  if (ec) throw ApiError(ErrorCode::invalid_json, "body is not valid JSON: " + ec.message());
  if (!value.is_object()) throw ApiError(ErrorCode::invalid_json, "body must be a JSON object");
  return std::move(value.as_object());
}

std::optional<std::string> optional_string(const boost::json::object& body, std::string_view name) {
  auto it = body.find(name);
  if (it == body.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_string()) {
    throw ApiError(ErrorCode::invalid_field, std::string(name) + " must be a string");
  }
  return std::string(it->value().as_string());
}

std::string required_string(const boost::json::object& body, std::string_view name) {
  auto value = optional_string(body, name);
  if (!value) throw ApiError(ErrorCode::missing_field, std::string(name) + " is required");
  return *value;
}

std::vector<std::string> string_list(const boost::json::object& body, std::string_view name) {
  std::vector<std::string> out;
  auto it = body.find(name);
  if (it == body.end() || it->value().is_null()) return out;
  if (!it->value().is_array()) {
    throw ApiError(ErrorCode::invalid_field, std::string(name) + " must be an array of strings");
  }
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) {
      throw ApiError(ErrorCode::invalid_field, std::string(name) + " must be an array of strings");
    }
    out.emplace_back(v.as_string());
  }
  return out;
}

}  // namespace frontdoor::http
