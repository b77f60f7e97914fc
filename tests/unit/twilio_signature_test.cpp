#include <catch2/catch.hpp>

#include <string>

#include "channels/sms/twilio_signature.hpp"

using namespace frontdoor::sms;

namespace {

// Twilio's worked example from the "Webhooks security" page
// (https://www.twilio.com/docs/usage/security#validating-requests). In its current edition, auth
// token 12345 with this URL and these parameters signs to 0/KCTR6DLpKmkAf8muzZqo1nDgQ=; this pair
// was confirmed through projects that quote the page, not from the page itself. The older edition,
// which twilio-python's and twilio-php's RequestValidator tests still use, has Caller and From
// +14158675309 and signs to RSOYDt4T1cUTdK1PDd93/VVr8B8=. Both pairs are checked below; Python's
// hmac module gives the same two values.
constexpr const char* kToken = "12345";
constexpr const char* kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
constexpr const char* kSignature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

FormParams documented_params() {
  return {{"CallSid", "CA1234567890ABCDE"},
          {"Caller", "+12349013030"},
          {"Digits", "1234"},
          {"From", "+12349013030"},
          {"To", "+18005551212"}};
}

}  // namespace

TEST_CASE("the signature matches Twilio's published examples") {
  CHECK(twilio_signature(kToken, kUrl, documented_params()) == kSignature);
  CHECK(verify_twilio_signature(kToken, kUrl, documented_params(), kSignature));

  const FormParams older{{"CallSid", "CA1234567890ABCDE"},
                         {"Caller", "+14158675309"},
                         {"Digits", "1234"},
                         {"From", "+14158675309"},
                         {"To", "+18005551212"}};
  CHECK(twilio_signature(kToken, kUrl, older) == "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

TEST_CASE("repeated names sort by value and an identical pair counts once") {
  // The duplicate-value vector of twilio-python (tests/unit/test_request_validator.py) and
  // twilio-php (RequestValidatorTest::testValidateWithArrayAndDuplicates).
  const FormParams params{{"Sid", "CA123"},
                          {"SidAccount", "AC123"},
                          {"Digits", "5678"},
                          {"Digits", "1234"},
                          {"Digits", "1234"}};
  CHECK(twilio_signature(kToken, kUrl, params) == "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
}

TEST_CASE("parameter order does not matter") {
  FormParams params = documented_params();
  std::swap(params[0], params[4]);
  std::swap(params[1], params[3]);
  CHECK(verify_twilio_signature(kToken, kUrl, params, kSignature));
}

TEST_CASE("anything changed fails verification") {
  SECTION("a tampered parameter value") {
    FormParams params = documented_params();
    params[2].second = "9999";
    CHECK_FALSE(verify_twilio_signature(kToken, kUrl, params, kSignature));
  }
  SECTION("an added parameter") {
    FormParams params = documented_params();
    params.emplace_back("Body", "STOP");
    CHECK_FALSE(verify_twilio_signature(kToken, kUrl, params, kSignature));
  }
  SECTION("a removed parameter") {
    FormParams params = documented_params();
    params.pop_back();
    CHECK_FALSE(verify_twilio_signature(kToken, kUrl, params, kSignature));
  }
  SECTION("another URL or query string") {
    CHECK_FALSE(verify_twilio_signature(kToken, "https://mycompany.com/myapp.php?foo=1&bar=3",
                                        documented_params(), kSignature));
    CHECK_FALSE(verify_twilio_signature(kToken, "http://mycompany.com/myapp.php?foo=1&bar=2",
                                        documented_params(), kSignature));
  }
  SECTION("a wrong auth token") {
    CHECK_FALSE(verify_twilio_signature("54321", kUrl, documented_params(), kSignature));
  }
  SECTION("a missing, empty or altered header") {
    CHECK_FALSE(verify_twilio_signature(kToken, kUrl, documented_params(), {}));
    CHECK_FALSE(verify_twilio_signature(kToken, kUrl, documented_params(), ""));
    CHECK_FALSE(
        verify_twilio_signature(kToken, kUrl, documented_params(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ"));
    CHECK_FALSE(verify_twilio_signature(kToken, kUrl, documented_params(),
                                        "0/KCTR6DLpKmkAf8muzZqo1nDgQ=="));
    CHECK_FALSE(
        verify_twilio_signature(kToken, kUrl, documented_params(), "1/KCTR6DLpKmkAf8muzZqo1nDgQ="));
  }
}

TEST_CASE("an empty auth token never verifies, even with a matching signature") {
  const std::string forged = twilio_signature("", kUrl, documented_params());
  CHECK(forged.size() == 28);
  CHECK_FALSE(verify_twilio_signature("", kUrl, documented_params(), forged));
}

TEST_CASE("parse_form decodes '+' and %XX") {
  const auto params = parse_form(
      "Body=Stop+the+noise%21+%C2%BFAyuda%3F&From=%2B15551234567&To=%2b18005551212&Empty=&Flag");
  REQUIRE(params);
  CHECK(*params == FormParams{{"Body",
                               "Stop the noise! \xC2\xBF"
                               "Ayuda?"},
                              {"From", "+15551234567"},
                              {"To", "+18005551212"},
                              {"Empty", ""},
                              {"Flag", ""}});
  CHECK(parse_form("a=1%26b%3D2") == FormParams{{"a", "1&b=2"}});
  CHECK(parse_form("a=1&&b=2&") == FormParams{{"a", "1"}, {"b", "2"}});
  CHECK(parse_form("a=x=y") == FormParams{{"a", "x=y"}});
  CHECK(parse_form("") == FormParams{});
}

TEST_CASE("parse_form rejects malformed bodies") {
  CHECK_FALSE(parse_form("a=%zz"));
  CHECK_FALSE(parse_form("a=%4"));
  CHECK_FALSE(parse_form("a=100%"));
  CHECK_FALSE(parse_form("a=b c"));
  CHECK_FALSE(parse_form("a=\xC3\xA9"));
  CHECK_FALSE(parse_form("a=b#c"));
}

TEST_CASE("a parsed body verifies like Twilio's example") {
  // The documented request as Twilio would post it, fields in another order.
  const auto params = parse_form(
      "To=%2B18005551212&CallSid=CA1234567890ABCDE&Digits=1234&From=%2B12349013030"
      "&Caller=%2B12349013030");
  REQUIRE(params);
  CHECK(verify_twilio_signature(kToken, kUrl, *params, kSignature));
}
