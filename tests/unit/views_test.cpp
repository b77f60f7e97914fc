// Which kept files a message may name, and how they are shown.
#include <catch2/catch.hpp>

#include "daemon/api/views.hpp"

using namespace frontdoor::api;

namespace {
const std::string kSha = "ab" + std::string(62, '0');
}

TEST_CASE("a kept file is exactly what a channel writes under data_dir") {
  auto file =
      kept_file("attachments/ab/" + kSha + "?name=c%C3%A2y+%C4%91%E1%BB%95.jpg&type=image%2Fjpeg");
  REQUIRE(file);
  CHECK(file->path == "attachments/ab/" + kSha);
  CHECK(file->name == "cây đổ.jpg");
  CHECK(file->type == "image/jpeg");

  auto raw = kept_file("mail/ab/" + kSha + ".eml");
  REQUIRE(raw);
  CHECK(raw->path == "mail/ab/" + kSha + ".eml");

  CHECK_FALSE(kept_file("https://media.example/x.jpg"));
  CHECK_FALSE(kept_file("attachments/../../etc/passwd"));
  CHECK_FALSE(kept_file("attachments/ab/" + kSha + "/../x"));
  CHECK_FALSE(kept_file("attachments/cd/" + kSha));  // the folder is the hash's first two
  CHECK_FALSE(kept_file("attachments/ab/" + kSha.substr(0, 63)));
  CHECK_FALSE(kept_file("attachments/AB/AB" + std::string(62, '0')));
  CHECK_FALSE(kept_file("mail/ab/" + kSha));  // a raw message ends in .eml
  CHECK_FALSE(kept_file("/etc/passwd"));
  CHECK_FALSE(kept_file(""));
}

TEST_CASE("a message shows kept files as API URLs, and its original when it has one") {
  frontdoor::store::Fields fields{
      {"direction", "in"},
      {"text", "Here is the photo."},
      {"full_text", "Here is the photo.\n> quoted"},
      {"raw", "mail/ab/" + kSha + ".eml"},
      {"attachments", "[\"attachments/ab/" + kSha + "?name=a.jpg\",\"https://m.example/b.jpg\"]"}};
  auto view = message_view("1700000000000-0", fields, "", "42");
  auto base = std::string("/api/v1/conversations/42/messages/1700000000000-0");
  REQUIRE(view.contains("attachments"));
  CHECK(view.at("attachments").as_array().at(0).as_string() == base + "/attachments/0");
  CHECK(view.at("attachments").as_array().at(1).as_string() == "https://m.example/b.jpg");
  CHECK(view.at("original").at("trimmed").as_bool());
  CHECK(view.at("original").at("raw").as_string() == base + "/raw");
  CHECK(view.at("original").at("text").as_string() == base + "/full");

  // Without the conversation (nothing to build URLs from) kept files are left out.
  auto bare = message_view("1700000000000-0", fields, "");
  CHECK(bare.at("attachments").as_array().size() == 1);
  CHECK_FALSE(bare.contains("original"));
}
