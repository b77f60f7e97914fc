// The pure parts of IMAP polling: what STATUS and SEARCH answers say, and folder names.
#include <catch2/catch.hpp>

#include "channels/email/imap_poller.hpp"

using namespace frontdoor::email;

TEST_CASE("a STATUS answer gives the folder's UIDVALIDITY and UIDNEXT") {
  auto status = parse_status("* STATUS INBOX (UIDVALIDITY 1795603237 UIDNEXT 12)\r\n");
  REQUIRE(status);
  CHECK(status->uidvalidity == 1795603237u);
  CHECK(status->uidnext == 12u);

  auto reordered = parse_status("* STATUS \"Sent Items\" (UIDNEXT 3 UIDVALIDITY 9)\r\n");
  REQUIRE(reordered);
  CHECK(reordered->uidvalidity == 9u);
  CHECK(reordered->uidnext == 3u);

  auto without_next = parse_status("* STATUS INBOX (UIDVALIDITY 5)\r\n");
  REQUIRE(without_next);
  CHECK(without_next->uidnext == 0u);

  CHECK_FALSE(parse_status("* STATUS INBOX (MESSAGES 4)\r\n"));
  CHECK_FALSE(parse_status("* STATUS INBOX (UIDVALIDITY 0)\r\n"));
  CHECK_FALSE(parse_status(""));
  // A folder named like the item is not the item.
  CHECK_FALSE(parse_status("* STATUS XUIDVALIDITY (MESSAGES 1)\r\n"));
}

TEST_CASE("a SEARCH answer gives sorted unique UIDs") {
  CHECK(parse_search("* SEARCH 3 4 9\r\n") == std::vector<std::uint32_t>{3, 4, 9});
  CHECK(parse_search("* SEARCH\r\n").empty());
  CHECK(parse_search("").empty());
  CHECK(parse_search("* SEARCH 9 3\r\n* SEARCH 4 3\r\n") == std::vector<std::uint32_t>{3, 4, 9});
  // "UID n:*" always names the highest UID, even below n: the poller drops it, not the parser.
  CHECK(parse_search("* SEARCH 7\r\n") == std::vector<std::uint32_t>{7});
  CHECK(parse_search("* SEARCH 1 junk 2\r\n") == std::vector<std::uint32_t>{1});
  CHECK(parse_search("* SEARCH 4294967295\r\n") == std::vector<std::uint32_t>{4294967295u});
}

TEST_CASE("folder names are quoted for commands and escaped for URLs") {
  CHECK(quoted_folder("INBOX") == "\"INBOX\"");
  CHECK(quoted_folder("Sent Items") == "\"Sent Items\"");
  CHECK(url_folder("INBOX") == "INBOX");
  CHECK(url_folder("Sent Items") == "Sent%20Items");
  CHECK(url_folder("Archive/2026") == "Archive/2026");
  CHECK(url_folder("a;b?c") == "a%3Bb%3Fc");
}
