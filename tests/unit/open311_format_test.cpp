#include "channels/webform/open311_format.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace json = boost::json;
using namespace frontdoor::open311;
using frontdoor::ServiceDefinition;

namespace {

const std::string kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

ServiceDefinition service(std::string code, std::string name) {
  ServiceDefinition s;
  s.code = std::move(code);
  s.name = std::move(name);
  return s;
}

ServiceDefinition pothole() {
  auto s = service("POT-1", "Pothole");
  s.description = "A hole in the road";
  s.group = "streets";
  s.keywords = "road, hole, asphalt";
  s.queue = "roads";
  return s;
}

NewRequest parse_ok(std::string_view body) {
  auto result = parse_new_request(body);
  if (const auto* errors = std::get_if<std::vector<Error>>(&result)) {
    for (const auto& e : *errors) UNSCOPED_INFO("unexpected error: " << e.description);
  }
  REQUIRE(std::holds_alternative<NewRequest>(result));
  return std::get<NewRequest>(std::move(result));
}

// The descriptions of the errors the body produces; every error must be a 400.
std::vector<std::string> parse_errors(std::string_view body, std::size_t max_description = 4000) {
  auto result = parse_new_request(body, max_description);
  REQUIRE(std::holds_alternative<std::vector<Error>>(result));
  std::vector<std::string> descriptions;
  for (const auto& e : std::get<std::vector<Error>>(result)) {
    CHECK(e.code == 400);
    descriptions.push_back(e.description);
  }
  return descriptions;
}

const std::string kValid = "service_code=POT-1&address_string=1+Main+St";

}  // namespace

TEST_CASE("format_from_extension and content_type", "[open311]") {
  CHECK(format_from_extension("json") == Format::json);
  CHECK(format_from_extension("xml") == Format::xml);
  CHECK_FALSE(format_from_extension("html").has_value());
  CHECK_FALSE(format_from_extension("").has_value());
  CHECK_FALSE(format_from_extension(".json").has_value());
  CHECK(content_type(Format::json) == "application/json; charset=utf-8");
  CHECK(content_type(Format::xml) == "text/xml; charset=utf-8");
}

TEST_CASE("services render as a JSON array of service entries", "[open311]") {
  const auto graffiti = service("GRF", "Graffiti \"tag\" removal");
  const auto body = render_services({pothole(), graffiti}, Format::json);
  const auto list = json::parse(body).as_array();
  REQUIRE(list.size() == 2);

  const auto& first = list[0].as_object();
  CHECK(first.at("service_code").as_string() == "POT-1");
  CHECK(first.at("service_name").as_string() == "Pothole");
  CHECK(first.at("description").as_string() == "A hole in the road");
  CHECK(first.at("metadata").as_bool() == false);
  CHECK(first.at("type").as_string() == "realtime");
  CHECK(first.at("keywords").as_string() == "road, hole, asphalt");
  CHECK(first.at("group").as_string() == "streets");
  CHECK(first.size() == 7);

  const auto& second = list[1].as_object();
  CHECK(second.at("service_name").as_string() == "Graffiti \"tag\" removal");
  CHECK(second.at("description").as_string() == "");
  CHECK(second.at("group").as_string() == "");

  CHECK(json::parse(render_services({}, Format::json)).as_array().empty());
}

TEST_CASE("services render as <services>/<service> XML", "[open311]") {
  auto noisy = service("N&1", "Noise <loud> & \"late\"");
  noisy.keywords = "night's noise";
  const auto body = render_services({pothole(), noisy}, Format::xml);
  CHECK(body.starts_with(kXmlDeclaration + "<services><service>"));
  CHECK(body.ends_with("</service></services>"));
  CHECK(contains(body,
                 "<service><service_code>POT-1</service_code><service_name>Pothole</service_name>"
                 "<description>A hole in the road</description><metadata>false</metadata>"
                 "<type>realtime</type><keywords>road, hole, asphalt</keywords>"
                 "<group>streets</group></service>"));
  CHECK(contains(body, "<service_code>N&amp;1</service_code>"));
  CHECK(contains(body, "<service_name>Noise &lt;loud&gt; &amp; &quot;late&quot;</service_name>"));
  CHECK(contains(body, "<keywords>night&apos;s noise</keywords>"));
  CHECK(contains(body, "<description/>"));

  CHECK(render_services({}, Format::xml) == kXmlDeclaration + "<services></services>");
}

TEST_CASE("a service definition has its code and no attributes", "[open311]") {
  const auto parsed = json::parse(render_service_definition(pothole(), Format::json));
  const auto& definition = parsed.as_object();
  CHECK(definition.at("service_code").as_string() == "POT-1");
  CHECK(definition.at("attributes").as_array().empty());
  CHECK(definition.size() == 2);

  CHECK(render_service_definition(pothole(), Format::xml) ==
        kXmlDeclaration +
            "<service_definition><service_code>POT-1</service_code><attributes/>"
            "</service_definition>");
}

TEST_CASE("service requests render with null / empty elements for absent fields", "[open311]") {
  ServiceRequest full;
  full.service_request_id = "SR-2026-000123";
  full.status = "open";
  full.status_notes = "Crew assigned";
  full.service_name = "Pothole";
  full.service_code = "POT-1";
  full.description = "Deep hole, café corner";
  full.agency_responsible = "Streets";
  full.service_notice = "Fixed within 3 days";
  full.requested_datetime = "2026-11-25T10:00:00Z";
  full.updated_datetime = "2026-11-25T11:00:00Z";
  full.expected_datetime = "2026-11-28T10:00:00Z";
  full.address = "1 Main St";
  full.address_id = "545483";
  full.zipcode = "94122";
  full.lat = "37.762221815";
  full.long_ = "-122.4651145";
  full.media_url = "https://example.org/p.jpg";

  ServiceRequest sparse;
  sparse.service_request_id = "SR-2";
  sparse.status = "closed";

  SECTION("JSON") {
    const auto list = json::parse(render_requests({full, sparse}, Format::json)).as_array();
    REQUIRE(list.size() == 2);
    const auto& a = list[0].as_object();
    CHECK(a.size() == 17);
    CHECK(a.at("service_request_id").as_string() == "SR-2026-000123");
    CHECK(a.at("status").as_string() == "open");
    CHECK(a.at("status_notes").as_string() == "Crew assigned");
    CHECK(a.at("service_name").as_string() == "Pothole");
    CHECK(a.at("service_code").as_string() == "POT-1");
    CHECK(a.at("description").as_string() == "Deep hole, caf\xC3\xA9 corner");
    CHECK(a.at("agency_responsible").as_string() == "Streets");
    CHECK(a.at("service_notice").as_string() == "Fixed within 3 days");
    CHECK(a.at("requested_datetime").as_string() == "2026-11-25T10:00:00Z");
    CHECK(a.at("updated_datetime").as_string() == "2026-11-25T11:00:00Z");
    CHECK(a.at("expected_datetime").as_string() == "2026-11-28T10:00:00Z");
    CHECK(a.at("address").as_string() == "1 Main St");
    CHECK(a.at("address_id").as_string() == "545483");
    CHECK(a.at("zipcode").as_string() == "94122");
    CHECK(a.at("lat").as_double() == 37.762221815);
    CHECK(a.at("long").as_double() == -122.4651145);
    CHECK(a.at("media_url").as_string() == "https://example.org/p.jpg");

    const auto& b = list[1].as_object();
    CHECK(b.size() == 17);
    CHECK(b.at("service_request_id").as_string() == "SR-2");
    CHECK(b.at("status").as_string() == "closed");
    for (const char* field : {"status_notes", "service_name", "description", "lat", "long",
                              "media_url", "expected_datetime"}) {
      INFO(field);
      CHECK(b.at(field).is_null());
    }
  }

  SECTION("XML") {
    const auto body = render_requests({full, sparse}, Format::xml);
    CHECK(body.starts_with(kXmlDeclaration + "<service_requests><request>"));
    CHECK(body.ends_with("</request></service_requests>"));
    CHECK(contains(body,
                   "<service_request_id>SR-2026-000123</service_request_id><status>open</status>"
                   "<status_notes>Crew assigned</status_notes>"));
    CHECK(contains(body, "<lat>37.762221815</lat><long>-122.4651145</long>"));
    CHECK(contains(body, "<description>Deep hole, caf\xC3\xA9 corner</description>"));
    CHECK(contains(body,
                   "<request><service_request_id>SR-2</service_request_id><status>closed</status>"
                   "<status_notes/><service_name/>"));
    CHECK(contains(body, "<lat/><long/><media_url/></request>"));
  }

  SECTION("contract violations throw") {
    ServiceRequest bad = sparse;
    bad.status = "pending";
    CHECK_THROWS_AS(render_requests({bad}, Format::json), std::invalid_argument);
    CHECK_THROWS_AS(render_requests({bad}, Format::xml), std::invalid_argument);
    bad = sparse;
    bad.lat = "north";
    bad.long_ = "1";
    CHECK_THROWS_AS(render_requests({bad}, Format::json), std::invalid_argument);
    bad = sparse;
    bad.service_request_id.clear();
    CHECK_THROWS_AS(render_requests({bad}, Format::xml), std::invalid_argument);
  }
}

TEST_CASE("POST receipt", "[open311]") {
  const auto list =
      json::parse(render_created("SR-7", "We will look at it", "", Format::json)).as_array();
  REQUIRE(list.size() == 1);
  const auto& receipt = list[0].as_object();
  CHECK(receipt.size() == 3);
  CHECK(receipt.at("service_request_id").as_string() == "SR-7");
  CHECK(receipt.at("service_notice").as_string() == "We will look at it");
  CHECK(receipt.at("account_id").is_null());

  const auto with_account =
      json::parse(render_created("SR-8", "", "acct-1", Format::json)).as_array();
  CHECK(with_account[0].as_object().at("service_notice").is_null());
  CHECK(with_account[0].as_object().at("account_id").as_string() == "acct-1");

  CHECK(render_created("SR-7", "We will look at it", "", Format::xml) ==
        kXmlDeclaration +
            "<service_requests><request><service_request_id>SR-7</service_request_id>"
            "<service_notice>We will look at it</service_notice><account_id/></request>"
            "</service_requests>");
}

TEST_CASE("errors render as the spec's error lists", "[open311]") {
  const std::vector<Error> errors{{400, "service_code is required"},
                                  {404, "service_code <X> & \"Y\" was not found"}};
  CHECK(render_errors({{400, "service_code is required"}}, Format::json) ==
        R"([{"code":400,"description":"service_code is required"}])");
  const auto list = json::parse(render_errors(errors, Format::json)).as_array();
  REQUIRE(list.size() == 2);
  CHECK(list[1].as_object().at("code").as_int64() == 404);
  CHECK(list[1].as_object().at("description").as_string() ==
        "service_code <X> & \"Y\" was not found");

  CHECK(render_errors(errors, Format::xml) ==
        kXmlDeclaration +
            "<errors><error><code>400</code><description>service_code is required</description>"
            "</error><error><code>404</code><description>service_code &lt;X&gt; &amp; "
            "&quot;Y&quot; was not found</description></error></errors>");
}

TEST_CASE("XML text is escaped and stripped of characters XML 1.0 forbids", "[open311]") {
  auto s = service("C", "<&>");
  s.description = "tab\there\nline\x01\x1F bell\x07 end\xEF\xBF\xBE!";
  const auto body = render_services({s}, Format::xml);
  CHECK(contains(body, "<service_name>&lt;&amp;&gt;</service_name>"));
  CHECK(contains(body, "<description>tab\there\nline bell end!</description>"));

  SECTION("ill-formed UTF-8 becomes U+FFFD in both formats") {
    const auto broken = service("C", "caf\xE9 \xC3\xA9");
    CHECK(contains(render_services({broken}, Format::xml),
                   "<service_name>caf\xEF\xBF\xBD \xC3\xA9</service_name>"));
    const auto list = json::parse(render_services({broken}, Format::json)).as_array();
    CHECK(list[0].as_object().at("service_name").as_string() == "caf\xEF\xBF\xBD \xC3\xA9");
  }
}

TEST_CASE("parse_new_request decodes a complete form", "[open311]") {
  const auto r = parse_ok(
      "api_key=xyz&jurisdiction_id=city.gov&service_code=001&lat=37.76524078&long=-122.4212043"
      "&address_string=1234+5th+street&address_id=A-9&email=smit333%40sfgov.edu"
      "&device_id=tt222111&account_id=123456&first_name=Ren%C3%A9e&last_name=smith"
      "&phone=111111111&description=A+large+sinkhole+%E2%80%94+caf%C3%A9+corner%0D%0Aline+2"
      "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
      "&submit=Send");
  CHECK(r.api_key == "xyz");
  CHECK(r.jurisdiction_id == "city.gov");
  CHECK(r.service_code == "001");
  CHECK(r.lat == "37.76524078");
  CHECK(r.long_ == "-122.4212043");
  CHECK(r.address_string == "1234 5th street");
  CHECK(r.address_id == "A-9");
  CHECK(r.email == "smit333@sfgov.edu");
  CHECK(r.device_id == "tt222111");
  CHECK(r.account_id == "123456");
  CHECK(r.first_name ==
        "Ren\xC3\xA9"
        "e");
  CHECK(r.last_name == "smith");
  CHECK(r.phone == "111111111");
  CHECK(r.description == "A large sinkhole \xE2\x80\x94 caf\xC3\xA9 corner\r\nline 2");
  CHECK(r.media_url == "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg");
  CHECK(r.attributes.empty());
}

TEST_CASE("parse_new_request: empty values are absent, unknown parameters ignored", "[open311]") {
  const auto r = parse_ok("service_code=POT-1&lat=&long=&email=&address_id=77&&utm_source=x&b");
  CHECK(r.service_code == "POT-1");
  CHECK(r.lat.empty());
  CHECK(r.long_.empty());
  CHECK(r.email.empty());
  CHECK(r.address_id == "77");

  CHECK(parse_ok("service_code=POT-1&lat=0&long=0").lat == "0");
  CHECK(parse_ok("service_code=POT-1&lat=-90&long=180").long_ == "180");
  CHECK(parse_ok("service_code=POT-1&lat=1e1&long=-1.5E2").long_ == "-1.5E2");
  CHECK(parse_ok("service_code=a%2Bb%20c%26d%3De&address_id=1").service_code == "a+b c&d=e");
}

TEST_CASE("parse_new_request: attributes", "[open311]") {
  SECTION("raw brackets, as in the spec's example") {
    const auto r = parse_ok(kValid + "&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001");
    REQUIRE(r.attributes.size() == 2);
    CHECK(r.attributes[0] == std::pair<std::string, std::string>{"WHISPAWN", "123456"});
    CHECK(r.attributes[1] == std::pair<std::string, std::string>{"WHISDORN", "COISL001"});
  }
  SECTION("percent-encoded brackets and a multivaluelist") {
    const auto r = parse_ok(kValid +
                            "&attribute%5Bcolor%5D%5B%5D=red&attribute%5Bsize%5D=big+one"
                            "&attribute%5Bcolor%5D%5B%5D=gr%C3%BCn");
    REQUIRE(r.attributes.size() == 3);
    CHECK(r.attributes[0] == std::pair<std::string, std::string>{"color", "red"});
    CHECK(r.attributes[1] == std::pair<std::string, std::string>{"size", "big one"});
    CHECK(r.attributes[2] == std::pair<std::string, std::string>{"color", "gr\xC3\xBCn"});
  }
  SECTION("malformed names") {
    for (const char* name : {"attribute", "attribute[]", "attribute[x", "attribute[x]y",
                             "attribute[x][y]", "attribute[a[b]"}) {
      INFO(name);
      const auto errors = parse_errors(kValid + "&" + name + "=1");
      REQUIRE(errors.size() == 1);
      CHECK(errors[0] == std::string("parameter ") + name +
                             " is malformed: expected attribute[code] or attribute[code][]");
    }
  }
  SECTION("a single-valued attribute given twice, or in both shapes") {
    CHECK(parse_errors(kValid + "&attribute[a]=1&attribute[a]=2&attribute[a]=3") ==
          std::vector<std::string>{"field attribute[a] is given more than once"});
    CHECK(parse_errors(kValid + "&attribute[a][]=1&attribute[a]=2") ==
          std::vector<std::string>{"field attribute[a] is given more than once"});
    CHECK(parse_errors(kValid + "&attribute[a]=1&attribute[a][]=2") ==
          std::vector<std::string>{"field attribute[a] is given more than once"});
  }
  SECTION("attribute values must be UTF-8") {
    CHECK(parse_errors(kValid + "&attribute[a]=%FF") ==
          std::vector<std::string>{"field attribute[a] is not valid UTF-8"});
  }
}

TEST_CASE("parse_new_request: the body must be form encoding", "[open311]") {
  for (const char* body : {"service_code=a b&address_id=1", "service_code=%ZZ&address_id=1",
                           "service_code=%4&address_id=1", "service_code=\xC3\xA9&address_id=1",
                           "service_code=\"x\"&address_id=1"}) {
    INFO(body);
    const auto errors = parse_errors(body);
    REQUIRE(errors.size() == 1);
    CHECK(contains(errors[0], "not valid application/x-www-form-urlencoded"));
  }
  CHECK(parse_errors("=1&" + kValid) == std::vector<std::string>{"a parameter has an empty name"});
}

TEST_CASE("parse_new_request: each field check names the field", "[open311]") {
  using V = std::vector<std::string>;
  CHECK(parse_errors("address_string=x") == V{"service_code is required"});
  CHECK(parse_errors("service_code=&address_string=x") == V{"service_code is required"});
  CHECK(parse_errors("service_code=POT-1&description=hi") ==
        V{"a location is required: lat and long, address_string or address_id"});
  CHECK(parse_errors("service_code=POT-1&lat=37.7") == V{"lat and long must be given together"});
  CHECK(parse_errors("service_code=POT-1&long=-122&address_id=1") ==
        V{"lat and long must be given together"});
  CHECK(parse_errors("service_code=POT-1&lat=90.5&long=0") ==
        V{"lat must be a number between -90 and 90"});
  CHECK(parse_errors("service_code=POT-1&lat=0&long=-180.01") ==
        V{"long must be a number between -180 and 180"});
  for (const char* bad : {"north", "nan", "inf", "1,5", "+1", "+37.5", "0x10", "%201"}) {
    INFO(bad);
    CHECK(parse_errors(std::string("service_code=POT-1&long=1&lat=") + bad) ==
          V{"lat must be a number between -90 and 90"});
  }
  for (const char* bad : {"plain", "%40example.org", "a%40b", "a%40b.", "a%40.b", "a%40b..c",
                          "a+b%40c.d", "a%40b%40c.d", "%3Ca%40b.c%3E"}) {
    INFO(bad);
    CHECK(parse_errors(kValid + "&email=" + bad) == V{"email is not a plausible email address"});
  }
  CHECK(parse_ok(kValid + "&email=first.last%2Btag%40sub.example.org").email ==
        "first.last+tag@sub.example.org");
  CHECK(parse_ok(kValid + "&email=j%C3%BCrgen%40m%C3%BCller.de").email ==
        "j\xC3\xBCrgen@m\xC3\xBCller.de");
  for (const char* bad :
       {"javascript%3Aalert(1)", "ftp%3A%2F%2Fx.org%2Fa", "%2Frelative.jpg", "http%3A%2F%2F"}) {
    INFO(bad);
    CHECK(parse_errors(kValid + "&media_url=" + bad) ==
          V{"media_url must be an absolute http or https URL"});
  }
  CHECK(parse_errors(kValid + "&service_code=X") ==
        V{"field service_code is given more than once"});
  CHECK(parse_errors(kValid + "&email=a%40b.c&email=a%40b.c&email=a%40b.c") ==
        V{"field email is given more than once"});
}

TEST_CASE("parse_new_request: language is a BCP 47 tag, kept canonical", "[open311]") {
  using V = std::vector<std::string>;
  CHECK(parse_ok(kValid).language.empty());
  CHECK(parse_ok(kValid + "&language=").language.empty());  // empty is absent
  CHECK(parse_ok(kValid + "&language=vi").language == "vi");
  CHECK(parse_ok(kValid + "&language=zh_TW").language == "zh-TW");
  CHECK(parse_ok(kValid + "&language=ES-mx").language == "es-MX");
  CHECK(parse_ok(kValid + "&language=tl").language == "fil");
  CHECK(parse_ok(kValid + "&language=fr").language == "fr");  // a city's list is not checked here
  for (const char* bad : {"xx", "und", "english", "en%40calendar%3Dbuddhist", "en--US", "%2A"}) {
    INFO(bad);
    const auto errors = parse_errors(kValid + "&language=" + bad);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].ends_with("is not a BCP 47 language tag such as es, vi, zh-Hant or es-MX"));
  }
  CHECK(parse_errors(kValid + "&language=es&language=vi") ==
        V{"field language is given more than once"});
}

TEST_CASE("parse_new_request: every value must be UTF-8", "[open311]") {
  using V = std::vector<std::string>;
  CHECK(parse_errors(kValid + "&first_name=Ren%E9e") == V{"field first_name is not valid UTF-8"});
  CHECK(parse_errors(kValid + "&description=%C3%28") == V{"field description is not valid UTF-8"});
  CHECK(parse_errors(kValid + "&phone=%ED%A0%80") == V{"field phone is not valid UTF-8"});
  CHECK(parse_errors(kValid + "&last_name=%C0%AF") == V{"field last_name is not valid UTF-8"});
  CHECK(parse_errors(kValid + "&x%FF=1") == V{"a parameter name is not valid UTF-8"});
  // A location field that is not UTF-8 is reported as such, not as a missing location.
  CHECK(parse_errors("service_code=POT-1&address_string=%FF") ==
        V{"field address_string is not valid UTF-8"});
  CHECK(parse_errors("service_code=%FF&address_id=1") ==
        V{"field service_code is not valid UTF-8"});
}

TEST_CASE("parse_new_request: description length counts code points", "[open311]") {
  const std::string four_e_acute = "%C3%A9%C3%A9%C3%A9%C3%A9";  // 8 bytes, 4 code points
  CHECK(parse_ok(kValid + "&description=" + four_e_acute).description.size() == 8);
  CHECK(std::holds_alternative<NewRequest>(
      parse_new_request(kValid + "&description=" + four_e_acute, 4)));
  CHECK(parse_errors(kValid + "&description=" + four_e_acute, 3) ==
        std::vector<std::string>{"description is 4 characters long; at most 3 are allowed"});

  std::string long_body = kValid + "&description=";
  for (int i = 0; i < 4001; ++i) long_body += 'x';
  CHECK(parse_errors(long_body) ==
        std::vector<std::string>{"description is 4001 characters long; at most 4000 are allowed"});
}

TEST_CASE("parse_new_request collects every error", "[open311]") {
  const auto errors = parse_errors(
      "lat=100&long=&email=nope&description=%FF&attribute[]=1&first_name=a&first_name=b"
      "&media_url=x");
  CHECK(errors == std::vector<std::string>{
                      "field description is not valid UTF-8",
                      "parameter attribute[] is malformed: expected attribute[code] or "
                      "attribute[code][]",
                      "field first_name is given more than once",
                      "service_code is required",
                      "lat and long must be given together",
                      "lat must be a number between -90 and 90",
                      "email is not a plausible email address",
                      "media_url must be an absolute http or https URL",
                  });
}

TEST_CASE("iso8601_utc", "[open311]") {
  CHECK(iso8601_utc(1'795'600'800'000) == "2026-11-25T10:00:00Z");
  CHECK(iso8601_utc(1'795'600'800'999) == "2026-11-25T10:00:00Z");
  CHECK(iso8601_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(iso8601_utc(-1) == "1969-12-31T23:59:59Z");
  CHECK(iso8601_utc(951'782'400'000) == "2000-02-29T00:00:00Z");
  CHECK(iso8601_utc(253'402'300'799'999) == "9999-12-31T23:59:59Z");
  CHECK(iso8601_utc(-62'167'219'200'000) == "0000-01-01T00:00:00Z");
  CHECK_THROWS_AS(iso8601_utc(253'402'300'800'000), std::out_of_range);
  CHECK_THROWS_AS(iso8601_utc(-62'167'219'200'001), std::out_of_range);
}
