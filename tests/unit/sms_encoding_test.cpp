#include <catch2/catch.hpp>

#include "i18n/sms_encoding.hpp"

#include <string>
#include <vector>

using namespace frontdoor::i18n;

namespace {

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += part;
  return out;
}

// What each part costs on the air: septets for GSM-7, UTF-16 code units for UCS-2.
std::vector<std::size_t> part_units(const SmsPlan& plan) {
  std::vector<std::size_t> units;
  for (const auto& part : plan.parts) {
    units.push_back(plan.encoding == SmsEncoding::gsm7 ? encode_gsm7_unpacked(part).size()
                                                       : encode_ucs2(part).size());
  }
  return units;
}

// Every plan keeps these promises, whatever the text.
void check_invariants(const SmsPlan& plan) {
  CHECK(joined(plan.parts) == plan.text);
  CHECK(plan.segments == plan.parts.size());
  std::size_t total = 0;
  for (std::size_t units : part_units(plan)) {
    CHECK(units <= plan.per_segment);
    total += units;
  }
  CHECK(total == plan.units);
  if (!plan.parts.empty()) {
    CHECK(plan.remaining_in_last == plan.per_segment - part_units(plan).back());
  }
}

}  // namespace

TEST_CASE("the GSM-7 tables match 3GPP TS 23.038") {
  for (char32_t c : {U'@', U'£',  U'$', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç', U'\n', U'Ø',
                     U'ø', U'\r', U'Å', U'å', U'Δ', U'_', U'Φ', U'Γ', U'Λ', U'Ω', U'Π',  U'Ψ',
                     U'Σ', U'Θ',  U'Ξ', U'Æ', U'æ', U'ß', U'É', U' ', U'¤', U'¡', U'Ä',  U'Ö',
                     U'Ñ', U'Ü',  U'§', U'¿', U'ä', U'ö', U'ñ', U'ü', U'à', U'a', U'Z',  U'0'}) {
    CAPTURE(static_cast<std::uint32_t>(c));
    CHECK(gsm7_septets(c) == 1);
  }
  for (char32_t c : {U'^', U'{', U'}', U'\\', U'[', U'~', U']', U'|', U'€', U'\f'}) {
    CAPTURE(static_cast<std::uint32_t>(c));
    CHECK(gsm7_septets(c) == 2);
  }
  // Lower-case ç is not in the table (only Ç at 0x09), nor are á í ó ú, the back-tick, or ESC.
  for (char32_t c : {U'ç', U'á', U'í', U'ó', U'ú', U'Á', U'`', U'\x1B', U'ê', U'’', U'中'}) {
    CAPTURE(static_cast<std::uint32_t>(c));
    CHECK(gsm7_septets(c) == 0);
  }
  CHECK(encode_gsm7_unpacked("@£$¥Ç_¡¿àA") ==
        std::vector<std::uint8_t>{0x00, 0x01, 0x02, 0x03, 0x09, 0x11, 0x40, 0x60, 0x7F, 0x41});
  CHECK(encode_gsm7_unpacked("€{}[]~\\|^\f") ==
        std::vector<std::uint8_t>{0x1B, 0x65, 0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x3C, 0x1B, 0x3E,
                                  0x1B, 0x3D, 0x1B, 0x2F, 0x1B, 0x40, 0x1B, 0x14, 0x1B, 0x0A});
  CHECK(encode_gsm7_unpacked("a\xC3\xA1\xFF") == std::vector<std::uint8_t>{0x61, 0x3F, 0x3F});
  CHECK(is_gsm7("Hello {world} €5"));
  CHECK_FALSE(is_gsm7("ça va"));
  CHECK_FALSE(is_gsm7("\xC3\x28"));
  CHECK(to_string(SmsEncoding::gsm7) == "GSM-7");
  CHECK(to_string(SmsEncoding::ucs2) == "UCS-2");
}

TEST_CASE("English: 160 septets is one message, 161 is two parts of 153 + 8") {
  const SmsPlan single = plan_sms(repeat("a", 160));
  CHECK(single.encoding == SmsEncoding::gsm7);
  CHECK(single.units == 160);
  CHECK(single.segments == 1);
  CHECK(single.per_segment == 160);
  CHECK(single.remaining_in_last == 0);
  check_invariants(single);

  const SmsPlan two = plan_sms(repeat("a", 161));
  CHECK(two.units == 161);
  CHECK(two.segments == 2);
  CHECK(two.per_segment == 153);
  CHECK(part_units(two) == std::vector<std::size_t>{153, 8});
  CHECK(two.remaining_in_last == 145);
  check_invariants(two);

  const SmsPlan short_reply = plan_sms("Your request #4521 was received. A crew is on the way.");
  CHECK(short_reply.encoding == SmsEncoding::gsm7);
  CHECK(short_reply.units == 54);
  CHECK(short_reply.segments == 1);
  CHECK(short_reply.remaining_in_last == 106);
  check_invariants(short_reply);
}

TEST_CASE("an empty text has no segment") {
  const SmsPlan plan = plan_sms("");
  CHECK(plan.encoding == SmsEncoding::gsm7);
  CHECK(plan.units == 0);
  CHECK(plan.segments == 0);
  CHECK(plan.parts.empty());
  CHECK(plan.remaining_in_last == 160);
}

TEST_CASE("long English replies break after a space near the end of a segment") {
  const SmsPlan plan = plan_sms(repeat("The street light on Main St is out. ", 12));
  CHECK(plan.encoding == SmsEncoding::gsm7);
  CHECK(plan.units == 432);
  REQUIRE(plan.segments == 3);
  for (std::size_t i = 0; i + 1 < plan.parts.size(); ++i) {
    CHECK(plan.parts[i].back() == ' ');
    CHECK(part_units(plan)[i] >= 153 - 153 * 15 / 100);
  }
  check_invariants(plan);
}

TEST_CASE("extension characters cost two septets and keep their escape in the same part") {
  const SmsPlan braces = plan_sms("Code {A} costs 5€ | see [map] ~ ^ \\");
  CHECK(braces.encoding == SmsEncoding::gsm7);
  CHECK(braces.units == 35 + 9);
  check_invariants(braces);

  // 80 euro signs are 160 septets: one message; 81 are 162: two parts, 76 + 5 euro signs.
  CHECK(plan_sms(repeat("€", 80)).segments == 1);
  const SmsPlan euros = plan_sms(repeat("€", 81));
  CHECK(euros.encoding == SmsEncoding::gsm7);
  CHECK(euros.units == 162);
  CHECK(part_units(euros) == std::vector<std::size_t>{152, 10});
  check_invariants(euros);

  // A euro sign starting at septet 153 cannot fit: the part ends one septet short.
  const SmsPlan edge = plan_sms(repeat("a", 152) + "€" + repeat("b", 10));
  CHECK(edge.units == 164);
  REQUIRE(edge.segments == 2);
  CHECK(edge.parts[0] == repeat("a", 152));
  CHECK(edge.parts[1] == "€" + repeat("b", 10));
  CHECK(edge.remaining_in_last == 153 - 12);
  check_invariants(edge);
}

TEST_CASE("Spanish is GSM-7 unless it has á, í, ó or ú") {
  const SmsPlan donde = plan_sms("¿Dónde está?");
  CHECK(donde.encoding == SmsEncoding::ucs2);
  CHECK(donde.units == 12);
  CHECK(donde.per_segment == 70);
  CHECK(donde.remaining_in_last == 58);
  check_invariants(donde);

  const SmsPlan que = plan_sms("¿Qué pasa, señor?");
  CHECK(que.encoding == SmsEncoding::gsm7);
  CHECK(que.units == 17);
  check_invariants(que);

  CHECK(plan_sms("¡Gracias! Mañana enviamos a un equipo.").encoding == SmsEncoding::gsm7);
  CHECK(plan_sms("Gracias por su paciencia. Llegarán pronto.").encoding == SmsEncoding::ucs2);
}

TEST_CASE("Vietnamese goes UCS-2 with 70/67 code units per segment") {
  const SmsPlan plan = plan_sms("Đèn đường bị hỏng");
  CHECK(plan.encoding == SmsEncoding::ucs2);
  CHECK(plan.units == 17);
  CHECK(plan.segments == 1);
  check_invariants(plan);

  const std::string sentence = "Chúng tôi đã nhận được yêu cầu của bạn. ";  // 40 code units
  const SmsPlan seventy = plan_sms(sentence + repeat("ư", 30));
  CHECK(seventy.units == 70);
  CHECK(seventy.segments == 1);
  const SmsPlan long_reply = plan_sms(repeat(sentence, 4));
  CHECK(long_reply.units == 160);
  CHECK(long_reply.per_segment == 67);
  CHECK(long_reply.segments == 3);
  for (std::size_t i = 0; i + 1 < long_reply.parts.size(); ++i) {
    CHECK(long_reply.parts[i].back() == ' ');
  }
  check_invariants(long_reply);
}

TEST_CASE("Chinese goes UCS-2, one code unit per character") {
  const SmsPlan plan = plan_sms("您好，路灯坏了。");
  CHECK(plan.encoding == SmsEncoding::ucs2);
  CHECK(plan.units == 8);
  check_invariants(plan);

  const SmsPlan seventy_one = plan_sms(repeat("路", 71));
  CHECK(seventy_one.segments == 2);
  CHECK(part_units(seventy_one) == std::vector<std::size_t>{67, 4});
  check_invariants(seventy_one);
}

TEST_CASE("emoji take two code units and their surrogate pairs are never split") {
  const SmsPlan one = plan_sms("Thanks 👍");
  CHECK(one.encoding == SmsEncoding::ucs2);
  CHECK(one.units == 9);
  check_invariants(one);

  CHECK(plan_sms(repeat("👍", 35)).segments == 1);
  const SmsPlan thumbs = plan_sms(repeat("👍", 36));
  CHECK(thumbs.units == 72);
  CHECK(part_units(thumbs) == std::vector<std::size_t>{66, 6});
  CHECK(thumbs.remaining_in_last == 61);
  check_invariants(thumbs);
}

TEST_CASE("an emoji ZWJ sequence stays in one part") {
  const std::string family = "👨‍👩‍👧‍👦";  // 4 emoji joined by 3 ZWJ: 11 code units
  const SmsPlan plan = plan_sms(repeat("a", 62) + family + repeat("b", 10));
  CHECK(plan.encoding == SmsEncoding::ucs2);
  CHECK(plan.units == 83);
  REQUIRE(plan.segments == 2);
  CHECK(plan.parts[0] == repeat("a", 62));
  CHECK(plan.parts[1] == family + repeat("b", 10));
  check_invariants(plan);
}

TEST_CASE("a combining sequence is never split") {
  const std::string a_ogonek_acute = "ą\u0301";  // Lithuanian ą́: no precomposed form in NFC
  const SmsPlan plan = plan_sms(repeat("x", 66) + a_ogonek_acute + repeat("y", 5));
  CHECK(plan.encoding == SmsEncoding::ucs2);
  CHECK(plan.units == 73);
  REQUIRE(plan.segments == 2);
  CHECK(plan.parts[0] == repeat("x", 66));
  CHECK(plan.parts[1] == a_ogonek_acute + repeat("y", 5));
  check_invariants(plan);
}

TEST_CASE("a grapheme cluster longer than a segment is cut between code points") {
  const SmsPlan plan = plan_sms("a" + repeat("\u0301", 80));
  CHECK(plan.units == 81);
  CHECK(part_units(plan) == std::vector<std::size_t>{67, 14});
  check_invariants(plan);
}

TEST_CASE("look-alike replacement keeps a text GSM-7 only when asked and when it suffices") {
  const std::string curly = "It’s “fixed” – thanks…\u00A0bye";
  const SmsPlan as_written = plan_sms(curly);
  CHECK(as_written.encoding == SmsEncoding::ucs2);
  CHECK(as_written.text == curly);
  CHECK(as_written.replaced.empty());

  const SmsPlan replaced = plan_sms(curly, {.replace_lookalikes = true});
  CHECK(replaced.encoding == SmsEncoding::gsm7);
  CHECK(replaced.text == "It's \"fixed\" - thanks... bye");
  CHECK(replaced.units == 28);
  CHECK(replaced.replaced ==
        std::vector<std::string>{"’→'", "“→\"", "”→\"", "–→-", "…→...", "\u00A0→ "});
  check_invariants(replaced);

  CHECK(plan_sms("«Hola» — ¿todo bien?", {.replace_lookalikes = true}).text ==
        "\"Hola\" - ¿todo bien?");

  // á stays UCS-2 whatever happens to the quotes, so the text is sent as written.
  const SmsPlan still_ucs2 = plan_sms("“Está bien”", {.replace_lookalikes = true});
  CHECK(still_ucs2.encoding == SmsEncoding::ucs2);
  CHECK(still_ucs2.text == "“Está bien”");
  CHECK(still_ucs2.replaced.empty());

  const SmsPlan already_gsm7 = plan_sms("It's fine", {.replace_lookalikes = true});
  CHECK(already_gsm7.text == "It's fine");
  CHECK(already_gsm7.replaced.empty());
}

TEST_CASE("other languages residents write in") {
  CHECK(plan_sms("Magaalada waa la nadiifiyay").encoding == SmsEncoding::gsm7);   // Somali
  CHECK(plan_sms("Salamat po, darating na sila").encoding == SmsEncoding::gsm7);  // Tagalog
  CHECK(plan_sms("Фонарь не работает").units == 18);                              // Russian
  CHECK(plan_sms("Фонарь не работает").encoding == SmsEncoding::ucs2);
  CHECK(plan_sms("مصباح الشارع معطل").encoding == SmsEncoding::ucs2);  // Arabic
  CHECK(plan_sms("ça marche").encoding == SmsEncoding::ucs2);          // French ç
  CHECK(plan_sms("Ça marche").encoding == SmsEncoding::gsm7);
}

TEST_CASE("ill-formed UTF-8 is planned as U+FFFD") {
  const SmsPlan plan = plan_sms("ok\xFF");
  CHECK(plan.encoding == SmsEncoding::ucs2);
  CHECK(plan.text == "ok\uFFFD");
  CHECK(encode_ucs2("ok\xFF") == u"ok\uFFFD");
}
