#include "channels/webform/open311_format.hpp"

#include <unicode/utf8.h>
#include <boost/json.hpp>
#include <boost/url.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <system_error>

#include "i18n/language.hpp"
#include "i18n/text.hpp"

namespace frontdoor::open311 {
namespace {

constexpr std::string_view kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
constexpr char32_t kReplacement = 0xFFFD;

// Calls f(code_point, bytes) for each code point of s in order. An ill-formed sequence (its
// maximal ill-formed subpart, as ICU delimits it) arrives with code_point < 0.
template <class F>
void for_each_code_point(std::string_view s, F&& f) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(s.data());
  const std::size_t length = s.size();
  std::size_t i = 0;
  while (i < length) {
    const std::size_t start = i;
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    f(c, s.substr(start, i - start));
  }
}

// The number of code points of s, or nullopt when s is not valid UTF-8.
std::optional<std::size_t> count_code_points(std::string_view s) {
  std::size_t count = 0;
  bool valid = true;
  for_each_code_point(s, [&](UChar32 c, std::string_view) {
    valid = valid && c >= 0;
    ++count;
  });
  if (!valid) return std::nullopt;
  return count;
}

void append_code_point(std::string& out, char32_t c) {
  char buffer[U8_MAX_LENGTH];
  std::size_t n = 0;
  U8_APPEND_UNSAFE(buffer, n, c);
  out.append(buffer, n);
}

// s with each ill-formed UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for_each_code_point(s, [&](UChar32 c, std::string_view bytes) {
    if (c < 0) {
      append_code_point(out, kReplacement);
    } else {
      out += bytes;
    }
  });
  return out;
}

// XML 1.0 Char production (surrogates cannot come out of UTF-8 decoding).
bool allowed_in_xml(UChar32 c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xFFFD && c != 0xFFFE) ||
         c >= 0x10000;
}

// Appends s as XML character data: markup characters escaped, ill-formed UTF-8 as U+FFFD,
// characters XML 1.0 does not allow dropped.
void append_xml_text(std::string& out, std::string_view s) {
  for_each_code_point(s, [&](UChar32 c, std::string_view bytes) {
    if (c < 0) {
      append_code_point(out, kReplacement);
      return;
    }
    if (!allowed_in_xml(c)) return;
    if (c == '\'') {
      out += "&apos;";  // as Open311 clients have always had it
    } else if (auto entity =
                   c < 0x80 ? i18n::markup_entity(static_cast<char>(c)) : std::string_view();
               !entity.empty()) {
      out += entity;
    } else {
      out += bytes;
    }
  });
}

// A document of nested elements without attributes. Element names are our own literals.
class XmlWriter {
 public:
  explicit XmlWriter(std::string_view root) : out_(kXmlDeclaration) { open(root); }

  void open(std::string_view name) {
    out_ += '<';
    out_ += name;
    out_ += '>';
  }

  void close(std::string_view name) {
    out_ += "</";
    out_ += name;
    out_ += '>';
  }

  // <name>text</name>, or <name/> when text is empty.
  void leaf(std::string_view name, std::string_view text) {
    if (text.empty()) {
      out_ += '<';
      out_ += name;
      out_ += "/>";
      return;
    }
    open(name);
    append_xml_text(out_, text);
    close(name);
  }

  // Closes the root and returns the document.
  std::string finish(std::string_view root) && {
    close(root);
    return std::move(out_);
  }

 private:
  std::string out_;
};

boost::json::string json_text(std::string_view s) { return boost::json::string(valid_utf8(s)); }

boost::json::value json_text_or_null(std::string_view s) {
  if (s.empty()) return nullptr;
  return json_text(s);
}

// s as a finite double when it is exactly a decimal number (no spaces, no sign '+').
std::optional<double> parse_number(std::string_view s) {
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

void check_request(const ServiceRequest& r) {
  if (r.service_request_id.empty()) {
    throw std::invalid_argument("open311: service request without service_request_id");
  }
  if (r.status != "open" && r.status != "closed") {
    throw std::invalid_argument("open311: service request " + r.service_request_id +
                                " has status '" + r.status + "', not open or closed");
  }
  for (const auto* coordinate : {&r.lat, &r.long_}) {
    if (!coordinate->empty() && !parse_number(*coordinate)) {
      throw std::invalid_argument("open311: service request " + r.service_request_id +
                                  " has a coordinate that is not a number: '" + *coordinate + "'");
    }
  }
}

boost::json::value json_coordinate(const std::string& s) {
  if (s.empty()) return nullptr;
  return *parse_number(s);
}

std::string render_json(const boost::json::value& v) { return boost::json::serialize(v); }

// ---- form parsing ----

// The parameters kept in NewRequest, by name.
struct KnownField {
  std::string_view name;
  std::string NewRequest::*member;
};

constexpr KnownField kKnownFields[] = {
    {"api_key", &NewRequest::api_key},
    {"jurisdiction_id", &NewRequest::jurisdiction_id},
    {"service_code", &NewRequest::service_code},
    {"lat", &NewRequest::lat},
    {"long", &NewRequest::long_},
    {"address_string", &NewRequest::address_string},
    {"address_id", &NewRequest::address_id},
    {"email", &NewRequest::email},
    {"device_id", &NewRequest::device_id},
    {"account_id", &NewRequest::account_id},
    {"first_name", &NewRequest::first_name},
    {"last_name", &NewRequest::last_name},
    {"phone", &NewRequest::phone},
    {"description", &NewRequest::description},
    {"media_url", &NewRequest::media_url},
    {"language", &NewRequest::language},
};

const KnownField* find_known_field(std::string_view name) {
  for (const auto& field : kKnownFields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

// An attribute parameter name split up: attribute[code] or attribute[code][].
struct AttributeKey {
  std::string code;
  bool list;  // attribute[code][]
};

bool is_attribute_name(std::string_view name) {
  return name == "attribute" || name.starts_with("attribute[");
}

// nullopt when the name is not exactly attribute[code] or attribute[code][] with a non-empty
// code free of brackets.
std::optional<AttributeKey> parse_attribute_key(std::string_view name) {
  constexpr std::string_view prefix = "attribute[";
  if (!name.starts_with(prefix)) return std::nullopt;
  name.remove_prefix(prefix.size());
  const auto close = name.find(']');
  if (close == std::string_view::npos || close == 0) return std::nullopt;
  const std::string_view code = name.substr(0, close);
  if (code.find('[') != std::string_view::npos) return std::nullopt;
  const std::string_view rest = name.substr(close + 1);
  if (rest.empty()) return AttributeKey{std::string(code), false};
  if (rest == "[]") return AttributeKey{std::string(code), true};
  return std::nullopt;
}

// Plausible, not RFC 5321 complete: one '@' with a non-empty local part of at most 64 bytes, a
// dotted domain without empty labels, at most 254 bytes, no spaces, controls or the characters
// that delimit addresses in headers. Non-ASCII is allowed (internationalized addresses).
bool plausible_email(std::string_view s) {
  if (s.size() > 254) return false;
  const auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || s.rfind('@') != at) return false;
  constexpr std::string_view forbidden = "()<>,;:\\\"[]";
  for (const unsigned char c : s) {
    if (c <= 0x20 || c == 0x7F || forbidden.find(static_cast<char>(c)) != std::string_view::npos) {
      return false;
    }
  }
  const std::string_view domain = s.substr(at + 1);
  return !domain.empty() && domain.front() != '.' && domain.back() != '.' &&
         domain.find('.') != std::string_view::npos && domain.find("..") == std::string_view::npos;
}

bool http_url(std::string_view s) {
  const auto url = boost::urls::parse_absolute_uri(s);
  if (!url) return false;
  const auto scheme = url->scheme_id();
  return (scheme == boost::urls::scheme::http || scheme == boost::urls::scheme::https) &&
         !url->encoded_host().empty();
}

// The body with raw '[' and ']' percent-encoded: RFC 3986 does not allow them in a query, but
// the spec's example POST sends attribute[code]=value unencoded.
std::string encode_brackets(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  for (const char c : body) {
    if (c == '[') {
      out += "%5B";
    } else if (c == ']') {
      out += "%5D";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<Format> format_from_extension(std::string_view ext) {
  if (ext == "json") return Format::json;
  if (ext == "xml") return Format::xml;
  return std::nullopt;
}

std::string_view content_type(Format format) {
  return format == Format::json ? "application/json; charset=utf-8" : "text/xml; charset=utf-8";
}

std::string render_services(const std::vector<ServiceDefinition>& services, Format format) {
  if (format == Format::json) {
    boost::json::array list;
    for (const auto& s : services) {
      list.push_back(boost::json::object{
          {"service_code", json_text(s.code)},
          {"service_name", json_text(s.name)},
          {"description", json_text(s.description)},
          {"metadata", false},
          {"type", "realtime"},
          {"keywords", json_text(s.keywords)},
          {"group", json_text(s.group)},
      });
    }
    return render_json(list);
  }
  XmlWriter xml("services");
  for (const auto& s : services) {
    xml.open("service");
    xml.leaf("service_code", s.code);
    xml.leaf("service_name", s.name);
    xml.leaf("description", s.description);
    xml.leaf("metadata", "false");
    xml.leaf("type", "realtime");
    xml.leaf("keywords", s.keywords);
    xml.leaf("group", s.group);
    xml.close("service");
  }
  return std::move(xml).finish("services");
}

std::string render_service_definition(const ServiceDefinition& service, Format format) {
  if (format == Format::json) {
    return render_json(boost::json::object{
        {"service_code", json_text(service.code)},
        {"attributes", boost::json::array{}},
    });
  }
  XmlWriter xml("service_definition");
  xml.leaf("service_code", service.code);
  xml.leaf("attributes", "");
  return std::move(xml).finish("service_definition");
}

std::string render_requests(const std::vector<ServiceRequest>& requests, Format format) {
  for (const auto& r : requests) check_request(r);
  if (format == Format::json) {
    boost::json::array list;
    for (const auto& r : requests) {
      list.push_back(boost::json::object{
          {"service_request_id", json_text(r.service_request_id)},
          {"status", json_text(r.status)},
          {"status_notes", json_text_or_null(r.status_notes)},
          {"service_name", json_text_or_null(r.service_name)},
          {"service_code", json_text_or_null(r.service_code)},
          {"description", json_text_or_null(r.description)},
          {"agency_responsible", json_text_or_null(r.agency_responsible)},
          {"service_notice", json_text_or_null(r.service_notice)},
          {"requested_datetime", json_text_or_null(r.requested_datetime)},
          {"updated_datetime", json_text_or_null(r.updated_datetime)},
          {"expected_datetime", json_text_or_null(r.expected_datetime)},
          {"address", json_text_or_null(r.address)},
          {"address_id", json_text_or_null(r.address_id)},
          {"zipcode", json_text_or_null(r.zipcode)},
          {"lat", json_coordinate(r.lat)},
          {"long", json_coordinate(r.long_)},
          {"media_url", json_text_or_null(r.media_url)},
      });
    }
    return render_json(list);
  }
  XmlWriter xml("service_requests");
  for (const auto& r : requests) {
    xml.open("request");
    xml.leaf("service_request_id", r.service_request_id);
    xml.leaf("status", r.status);
    xml.leaf("status_notes", r.status_notes);
    xml.leaf("service_name", r.service_name);
    xml.leaf("service_code", r.service_code);
    xml.leaf("description", r.description);
    xml.leaf("agency_responsible", r.agency_responsible);
    xml.leaf("service_notice", r.service_notice);
    xml.leaf("requested_datetime", r.requested_datetime);
    xml.leaf("updated_datetime", r.updated_datetime);
    xml.leaf("expected_datetime", r.expected_datetime);
    xml.leaf("address", r.address);
    xml.leaf("address_id", r.address_id);
    xml.leaf("zipcode", r.zipcode);
    xml.leaf("lat", r.lat);
    xml.leaf("long", r.long_);
    xml.leaf("media_url", r.media_url);
    xml.close("request");
  }
  return std::move(xml).finish("service_requests");
}

std::string render_created(std::string_view service_request_id, std::string_view service_notice,
                           std::string_view account_id, Format format) {
  if (format == Format::json) {
    return render_json(boost::json::array{boost::json::object{
        {"service_request_id", json_text(service_request_id)},
        {"service_notice", json_text_or_null(service_notice)},
        {"account_id", json_text_or_null(account_id)},
    }});
  }
  XmlWriter xml("service_requests");
  xml.open("request");
  xml.leaf("service_request_id", service_request_id);
  xml.leaf("service_notice", service_notice);
  xml.leaf("account_id", account_id);
  xml.close("request");
  return std::move(xml).finish("service_requests");
}

std::string render_errors(const std::vector<Error>& errors, Format format) {
  if (format == Format::json) {
    boost::json::array list;
    for (const auto& e : errors) {
      list.push_back(boost::json::object{
          {"code", e.code},
          {"description", json_text(e.description)},
      });
    }
    return render_json(list);
  }
  XmlWriter xml("errors");
  for (const auto& e : errors) {
    xml.open("error");
    xml.leaf("code", std::to_string(e.code));
    xml.leaf("description", e.description);
    xml.close("error");
  }
  return std::move(xml).finish("errors");
}

std::variant<NewRequest, std::vector<Error>> parse_new_request(
    std::string_view form_urlencoded_body, std::size_t max_description_chars) {
  const std::string body = encode_brackets(form_urlencoded_body);
  const auto params = boost::urls::parse_query(body);
  if (!params) {
    return std::vector<Error>{
        {400,
         "the request body is not valid application/x-www-form-urlencoded (characters other "
         "than letters, digits and -._~!$'()*+,;=:@/? must be percent-encoded, and % must be "
         "followed by two hex digits)"}};
  }

  std::vector<Error> errors;
  const auto fail = [&](std::string description) {
    errors.push_back({400, std::move(description)});
  };

  NewRequest request;
  std::map<std::string, int, std::less<>> occurrences;  // of known fields, by name
  std::set<std::string, std::less<>> unusable;          // known fields given twice or not UTF-8
  std::map<std::string, bool> attribute_lists;  // attribute code -> sent as attribute[code][]
  std::set<std::string> repeated_attributes;    // codes already reported as repeated

  boost::urls::encoding_opts form;
  form.space_as_plus = true;
  for (const auto param : *params) {
    const std::string name = param.key.decode(form);
    std::string value = param.has_value ? param.value.decode(form) : std::string();
    if (name.empty()) {
      // "a=1&&b=2" has an empty parameter between the separators: not an error.
      if (param.has_value) fail("a parameter has an empty name");
      continue;
    }
    if (!count_code_points(name)) {
      fail("a parameter name is not valid UTF-8");
      continue;
    }

    if (is_attribute_name(name)) {
      const auto key = parse_attribute_key(name);
      if (!key) {
        fail("parameter " + name + " is malformed: expected attribute[code] or attribute[code][]");
        continue;
      }
      const std::string field = "attribute[" + key->code + "]";
      const auto [previous, first] = attribute_lists.try_emplace(key->code, key->list);
      if (!first && (!key->list || !previous->second)) {
        if (repeated_attributes.insert(key->code).second) {
          fail("field " + field + " is given more than once");
        }
        continue;
      }
      if (!count_code_points(value)) {
        fail("field " + field + " is not valid UTF-8");
        continue;
      }
      request.attributes.emplace_back(key->code, std::move(value));
      continue;
    }

    const KnownField* known = find_known_field(name);
    if (known == nullptr) continue;
    if (++occurrences[name] > 1) {
      if (occurrences[name] == 2) fail("field " + name + " is given more than once");
      unusable.insert(name);
      continue;
    }
    if (!count_code_points(value)) {
      fail("field " + name + " is not valid UTF-8");
      unusable.insert(name);
      continue;
    }
    request.*(known->member) = std::move(value);
  }

  const auto usable = [&](std::string_view name) { return !unusable.contains(name); };

  if (request.service_code.empty() && usable("service_code")) fail("service_code is required");

  const bool has_lat = !request.lat.empty() || !usable("lat");
  const bool has_long = !request.long_.empty() || !usable("long");
  if (has_lat != has_long) {
    fail("lat and long must be given together");
  } else if (!has_lat && request.address_string.empty() && request.address_id.empty() &&
             usable("address_string") && usable("address_id")) {
    fail("a location is required: lat and long, address_string or address_id");
  }
  if (!request.lat.empty()) {
    const auto lat = parse_number(request.lat);
    if (!lat || *lat < -90 || *lat > 90) fail("lat must be a number between -90 and 90");
  }
  if (!request.long_.empty()) {
    const auto lon = parse_number(request.long_);
    if (!lon || *lon < -180 || *lon > 180) fail("long must be a number between -180 and 180");
  }

  if (!request.email.empty() && !plausible_email(request.email)) {
    fail("email is not a plausible email address");
  }
  if (!request.media_url.empty() && !http_url(request.media_url)) {
    fail("media_url must be an absolute http or https URL");
  }
  if (const auto length = count_code_points(request.description);
      length && *length > max_description_chars) {
    fail("description is " + std::to_string(*length) + " characters long; at most " +
         std::to_string(max_description_chars) + " are allowed");
  }
  if (!request.language.empty()) {
    std::string canonical = i18n::canonical_tag(request.language);
    if (canonical.empty()) {
      fail("language \"" + request.language.substr(0, 40) +
           "\" is not a BCP 47 language tag such as es, vi, zh-Hant or es-MX");
    }
    request.language = std::move(canonical);
  }

  if (!errors.empty()) return errors;
  return request;
}

std::string iso8601_utc(long long unix_ms) {
  using namespace std::chrono;
  constexpr long long kYear0 = -62'167'219'200'000;      // 0000-01-01T00:00:00Z
  constexpr long long kYear10000 = 253'402'300'800'000;  // 10000-01-01T00:00:00Z
  if (unix_ms < kYear0 || unix_ms >= kYear10000) {
    throw std::out_of_range("iso8601_utc: " + std::to_string(unix_ms) +
                            " ms is outside the years 0000 to 9999");
  }
  const sys_time<milliseconds> instant{milliseconds{unix_ms}};
  const auto day = floor<days>(instant);
  const year_month_day date{day};
  const hh_mm_ss time{floor<seconds>(instant - day)};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return text;
}

}  // namespace frontdoor::open311
