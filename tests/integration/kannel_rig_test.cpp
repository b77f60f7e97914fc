// The Kannel rig on its own, without frontdoord: a tiny HTTP listener in this process plays the
// daemon's MO and DLR endpoints; fakesmsc plays the phones.
#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "tests/integration/harness.hpp"
#include "tests/integration/kannel_rig.hpp"

using namespace frontdoor::testing;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// Answers every request 200 with an empty body and remembers its target.
class Listener {
 public:
  Listener() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }
  ~Listener() {
    stop_ = true;
    try {  // wake the blocking accept
      asio::io_context io;
      tcp::socket s(io);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    } catch (const std::exception&) {
    }
    thread_.join();
  }
  unsigned short port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The next request not yet taken whose target starts with `prefix`.
  std::optional<std::string> next(const std::string& prefix, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<std::string> found;
    cv_.wait_for(lock, timeout, [&] {
      for (auto& t : targets_) {
        if (!t.empty() && t.rfind(prefix, 0) == 0) {
          found = std::exchange(t, std::string());
          return true;
        }
      }
      return false;
    });
    return found;
  }

 private:
  void run() {
    while (!stop_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) continue;
      timeval tv{5, 0};
      setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      boost::beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> req;
      bhttp::read(socket, buffer, req, ec);
      if (ec) continue;
      {
        std::lock_guard lock(mutex_);
        targets_.emplace_back(req.target());
      }
      cv_.notify_all();
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
      res.set(bhttp::field::content_type, "text/plain");
      res.set(bhttp::field::connection, "close");
      res.prepare_payload();
      bhttp::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> targets_;
};

const std::string kPhone = "+84901234567";
const std::string kShortCode = "1022";

std::string sendsms_target(const KannelRig& rig, const std::string& utf8_text,
                           const std::string& extra = {}) {
  return "/cgi-bin/sendsms?username=" + rig.username() + "&password=" + rig.password() +
         "&from=" + kShortCode + "&to=" + kannel::url_encode(kPhone) +
         "&text=" + kannel::url_encode(utf8_text) + "&charset=UTF-8" + extra;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("Kannel rig: a phone's text reaches the get-url with sender, receiver and coding",
          "[kannel]") {
  Listener daemon;
  KannelRig rig(daemon.base() + "/webhooks/kannel/mo?secret=s3cret");

  // GSM 7-bit: Kannel hands it over as coding 0 in UTF-8.
  rig.phone_sends(kPhone, kShortCode, "Street light out on Le Loi @ no. 12 {corner} €");
  auto mo = daemon.next("/webhooks/kannel/mo", 5s);
  REQUIRE(mo);
  auto q = kannel::query_params(*mo);
  CHECK(q["secret"] == "s3cret");
  CHECK(q["from"] == kPhone);
  CHECK(q["to"] == kShortCode);
  CHECK(q["text"] == "Street light out on Le Loi @ no. 12 {corner} €");
  CHECK(q["coding"] == "0");
  CHECK(q["charset"] == "UTF-8");
  CHECK(q["smsc"] == "fake");
  CHECK(q["id"].size() == 36);  // Kannel's message UUID
  CHECK(!q["ts"].empty());

  // Vietnamese: UCS-2, handed over as the raw UTF-16BE octets.
  const std::string vi = "Đèn đường hỏng ở ngõ 12, phố Huế";
  rig.phone_sends(kPhone, kShortCode, vi);
  mo = daemon.next("/webhooks/kannel/mo", 5s);
  REQUIRE(mo);
  q = kannel::query_params(*mo);
  CHECK(q["coding"] == "2");
  CHECK(q["charset"] == "UTF-16BE");
  CHECK(kannel::utf16be_to_utf8(q["text"]) == vi);
  CHECK(q["from"] == kPhone);

  // A full 70-character UCS-2 SMS: its fakesmsc line is longer than fakesmsc's 255-byte read.
  const std::string full = repeat("Nước ngập ", 7);  // 70 characters
  rig.phone_sends(kPhone, kShortCode, full);
  mo = daemon.next("/webhooks/kannel/mo", 5s);
  REQUIRE(mo);
  q = kannel::query_params(*mo);
  CHECK(kannel::utf16be_to_utf8(q["text"]) == full);

  // Two in a row keep their order.
  rig.phone_sends(kPhone, kShortCode, "first");
  rig.phone_sends("+84907654321", kShortCode, "second");
  auto a = daemon.next("/webhooks/kannel/mo", 5s), b = daemon.next("/webhooks/kannel/mo", 5s);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(kannel::query_params(*a)["text"] == "first");
  CHECK(kannel::query_params(*b)["from"] == "+84907654321");
}

TEST_CASE("Kannel rig: with mo-recode a UCS-2 text arrives as UTF-8", "[kannel]") {
  Listener daemon;
  KannelRig::Options options;
  options.mo_recode = true;
  KannelRig rig(daemon.base() + "/webhooks/kannel/mo?secret=s3cret", options);
  rig.phone_sends(kPhone, kShortCode, "Cống bị tắc");
  auto mo = daemon.next("/webhooks/kannel/mo", 5s);
  REQUIRE(mo);
  auto q = kannel::query_params(*mo);
  CHECK(q["coding"] == "0");
  CHECK(q["charset"] == "UTF-8");
  CHECK(q["text"] == "Cống bị tắc");
}

TEST_CASE("Kannel rig: sendsms reaches the phone with its coding and delivery reports come back",
          "[kannel]") {
  Listener daemon;
  KannelRig rig;  // ports first, start later: how a daemon test configures frontdoord first
  CHECK(rig.sendsms_url() ==
        "http://127.0.0.1:" + std::to_string(rig.sendsms_port()) + "/cgi-bin/sendsms");
  rig.start(daemon.base() + "/webhooks/kannel/mo?secret=s3cret");

  // UCS-2 with delivery reports: the fake SMSC acknowledges (8) and delivers (1).
  const std::string vi = "Đã nhận: đèn đường sẽ được sửa trong 48 giờ";
  const std::string dlr_url =
      daemon.base() + "/webhooks/kannel/dlr?secret=s3cret&msg=m-1&status=%d&answer=%A&ts=%T";
  auto res =
      http(rig.sendsms_port(), "GET",
           sendsms_target(rig, vi, "&coding=2&dlr-mask=31&dlr-url=" + kannel::url_encode(dlr_url)));
  CHECK(res.status == 202);
  CHECK(res.body == "0: Accepted for delivery");
  auto got = rig.phone_received(5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].from == kShortCode);
  CHECK(got[0].to == kPhone);
  CHECK(got[0].coding == 2);
  CHECK(got[0].parts == 1);
  CHECK(got[0].text == vi);
  std::set<std::string> statuses;
  for (int i = 0; i < 2; ++i) {
    auto dlr = daemon.next("/webhooks/kannel/dlr", 5s);
    REQUIRE(dlr);
    auto q = kannel::query_params(*dlr);
    CHECK(q["msg"] == "m-1");
    statuses.insert(q["status"]);
  }
  CHECK(statuses == std::set<std::string>{"1", "8"});

  // GSM 7-bit.
  res =
      http(rig.sendsms_port(), "GET", sendsms_target(rig, "Your report #311 is open", "&coding=0"));
  CHECK(res.status == 202);
  got = rig.phone_received(5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].coding == 0);
  CHECK(got[0].text == "Your report #311 is open");

  // Too long for one SMS: Kannel splits, the phone puts it back together.
  const std::string long_vi = repeat("Cảm ơn bạn đã báo cáo. ", 7);  // 161 characters
  res = http(rig.sendsms_port(), "GET", sendsms_target(rig, long_vi, "&coding=2"));
  CHECK(res.status == 202);
  got = rig.phone_received(5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].coding == 2);
  CHECK(got[0].parts == 3);
  CHECK(got[0].text == long_vi);

  // No 0x00 octet anywhere in it: only bearerbox's access log can tell it is UCS-2.
  const std::string cjk = repeat("路灯坏了", 25);
  res = http(rig.sendsms_port(), "GET", sendsms_target(rig, cjk, "&coding=2"));
  got = rig.phone_received(5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].coding == 2);
  CHECK(got[0].parts == 2);
  CHECK(got[0].text == cjk);

  const std::string long_gsm = repeat("Report received, crew dispatched. ", 6);  // 204 characters
  res = http(rig.sendsms_port(), "GET", sendsms_target(rig, long_gsm));
  CHECK(res.status == 202);
  got = rig.phone_received(5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].coding == 0);
  CHECK(got[0].parts == 2);
  CHECK(got[0].text == long_gsm);

  // A line break inside a GSM text survives fakesmsc's line-per-message printing.
  res = http(rig.sendsms_port(), "GET", sendsms_target(rig, "Report #311\nStatus: open"));
  got = rig.phone_received(5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "Report #311\nStatus: open");

  // The phone is off: Kannel queues, and delivers when it is back.
  rig.phone_offline();
  res = http(rig.sendsms_port(), "GET", sendsms_target(rig, "Queued for you"));
  CHECK(res.status == 202);
  CHECK(res.body == "3: Queued for later delivery");
  rig.phone_online();
  got = rig.phone_received(5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "Queued for you");

  // Wrong credentials are refused.
  res = http(rig.sendsms_port(), "GET",
             "/cgi-bin/sendsms?username=" + rig.username() + "&password=wrong&from=1&to=2&text=x");
  CHECK(res.status == 403);
  CHECK(rig.phone_received(300ms).empty());
}

TEST_CASE("Kannel rig: a burst of phones texts in, then the interactive phone again", "[kannel]") {
  Listener daemon;
  KannelRig rig(daemon.base() + "/webhooks/kannel/mo?secret=s3cret");
  const std::string vi = "Cống bị tắc";
  rig.phones_burst(
      {kPhone + " " + kShortCode + " text Street light out",
       "+84907654321 " + kShortCode + " ucs2 " + kannel::url_encode(kannel::utf8_to_utf16be(vi))},
      20);
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto mo = daemon.next("/webhooks/kannel/mo", 5s);
    REQUIRE(mo);
    auto q = kannel::query_params(*mo);
    ids.insert(q["id"]);
    if (q["from"] == kPhone) {
      CHECK(q["text"] == "Street light out");
    } else {
      CHECK(q["from"] == "+84907654321");
      CHECK(kannel::utf16be_to_utf8(q["text"]) == vi);
    }
  }
  CHECK(ids.size() == 20);  // each MO is its own message
  CHECK(rig.burst_sent());
  CHECK_FALSE(daemon.next("/webhooks/kannel/mo", 300ms));  // exactly 20

  rig.phone_online();
  rig.phone_sends(kPhone, kShortCode, "after the burst");
  auto mo = daemon.next("/webhooks/kannel/mo", 5s);
  REQUIRE(mo);
  CHECK(kannel::query_params(*mo)["text"] == "after the burst");
}
