// Open311 GeoReport v2 wire format for the web form channel (/open311/v2/): renders services,
// service definitions, service requests, creation receipts and errors as JSON or XML, and parses
// the application/x-www-form-urlencoded body of POST requests. Pure: no I/O, no network types.
//
// Contract
//  1. Every render_* function returns a complete response body in the requested format, encoded
//     as UTF-8. JSON bodies are arrays (the service definition, which the spec shows as an
//     object, is the one exception); XML bodies start with the XML declaration.
//  2. Absent values: an empty std::string is "absent". Optional fields render as JSON null and
//     as an empty XML element (<status_notes/>), so every XML entry has the same elements, as in
//     the spec's examples.
//  3. Text that is not valid UTF-8 renders with U+FFFD in place of each ill-formed sequence; XML
//     additionally drops characters XML 1.0 does not allow (controls other than tab, LF, CR;
//     U+FFFE, U+FFFF). Nothing invalid is ever emitted.
//  4. parse_new_request() either returns a fully validated NewRequest or every problem it
//     found, each a 400 Error whose description names the field.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "daemon/config/config.hpp"

namespace frontdoor::open311 {

enum class Format { json, xml };

// "json" or "xml" (the resource suffix, lower case, without the dot); anything else: nullopt.
std::optional<Format> format_from_extension(std::string_view ext);

// The Content-Type of a response body: "application/json; charset=utf-8" or
// "text/xml; charset=utf-8", as the spec shows them.
std::string_view content_type(Format format);

// GET services: each service with metadata=false (no custom attributes) and type=realtime (the
// request id is returned by the POST itself). Empty description, keywords or group render as
// empty strings, not null.
std::string render_services(const std::vector<ServiceDefinition>& services, Format format);

// GET services/{code}: {"service_code":"...","attributes":[]} / <service_definition> with an
// empty <attributes/>, since our services have no custom attributes.
std::string render_service_definition(const ServiceDefinition& service, Format format);

// One service request as GET requests returns it. Empty = absent (contract 2).
struct ServiceRequest {
  std::string service_request_id;  // required
  std::string status;              // required: "open" or "closed"
  std::string status_notes;
  std::string service_name;
  std::string service_code;
  std::string description;
  std::string agency_responsible;
  std::string service_notice;
  std::string requested_datetime;  // ISO 8601, e.g. iso8601_utc()
  std::string updated_datetime;
  std::string expected_datetime;
  std::string address;
  std::string address_id;
  std::string zipcode;
  std::string lat;    // decimal degrees; a JSON number in JSON output
  std::string long_;  // decimal degrees; rendered as "long"
  std::string media_url;
};

// GET requests / requests/{id}. service_request_id and status are always strings; every other
// empty field is null (JSON) or an empty element (XML). Throws std::invalid_argument when a
// request breaks the field contracts above (empty id, status not open/closed, lat or long not a
// finite decimal number): that is a bug in the caller, not a client error.
std::string render_requests(const std::vector<ServiceRequest>& requests, Format format);

// POST requests answer: [{"service_request_id":"...","service_notice":...,"account_id":...}].
// Empty service_notice or account_id render as null / an empty element.
std::string render_created(std::string_view service_request_id, std::string_view service_notice,
                           std::string_view account_id, Format format);

struct Error {
  int code;  // the HTTP status it goes with: 400, 404, ...
  std::string description;
};

// [{"code":400,"description":"..."}] / <errors><error><code>400</code><description>...
std::string render_errors(const std::vector<Error>& errors, Format format);

// The arguments of POST requests, decoded and validated. Empty = not given (the spec treats an
// empty parameter as an absent one).
struct NewRequest {
  std::string api_key;
  std::string jurisdiction_id;
  std::string service_code;  // non-empty
  std::string lat;           // both or neither; decimal degrees in [-90, 90]
  std::string long_;         // parameter "long"; decimal degrees in [-180, 180]
  std::string address_string;
  std::string address_id;
  std::string email;  // plausible address when given
  std::string device_id;
  std::string account_id;
  std::string first_name;
  std::string last_name;
  std::string phone;
  std::string description;  // at most max_description_chars code points
  std::string media_url;    // absolute http or https URL when given
  // The resident's language, chosen in the client (not in GeoReport v2: our extension), as its
  // canonical BCP 47 tag ("zh_TW" → "zh-TW"); refused when i18n::canonical_tag() refuses it.
  std::string language;
  // attribute[code]=value, and attribute[code][]=value (repeatable, for multivaluelist), as
  // (code, value) in body order.
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Decodes and validates a POST requests body (application/x-www-form-urlencoded: '+' is a
// space, %XX a byte; raw '[' and ']' are accepted as the spec's own example sends them).
// Checks: the body is well-formed form encoding; no parameter with an empty name; no known
// parameter given twice; every name and known value is valid UTF-8; service_code given; a
// location given (lat and long together, address_string or address_id); lat and long finite
// numbers within range; email plausible; media_url http(s); description at most
// max_description_chars code points; language a BCP 47 tag; attribute parameters shaped
// attribute[code] or attribute[code][]. Unknown parameters are ignored. All problems are reported,
// in body order first, then the cross-field checks.
std::variant<NewRequest, std::vector<Error>> parse_new_request(
    std::string_view form_urlencoded_body, std::size_t max_description_chars = 4000);

// unix_ms (milliseconds since 1970-01-01T00:00:00Z, floored to the second) as
// "2026-11-25T10:00:00Z". Throws std::out_of_range outside the years 0000 to 9999.
std::string iso8601_utc(long long unix_ms);

}  // namespace frontdoor::open311
