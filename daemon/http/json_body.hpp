// Reading JSON request bodies with precise errors (http::ApiError) at the edge.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "daemon/http/http_types.hpp"

namespace frontdoor::http {

// The body as a JSON object: 415 when the content type is not JSON, 400 invalid_utf8 / invalid_json
// with the parser's reason and offset otherwise.
boost::json::object json_object_body(const HttpRequest& request);

// A string member: missing_field when absent (required) or invalid_field when not a string.
std::string required_string(const boost::json::object& body, std::string_view name);
std::optional<std::string> optional_string(const boost::json::object& body, std::string_view name);
// An array of strings, or empty when absent.
std::vector<std::string> string_list(const boost::json::object& body, std::string_view name);

}  // namespace frontdoor::http
