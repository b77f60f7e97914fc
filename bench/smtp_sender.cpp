#include "bench/smtp_sender.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <cstdlib>

namespace frontdoor::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

WireMail wire_mail(const std::string& bytes) {
  WireMail out;
  std::string* part = &out.head;
  bool in_headers = true, skipping = false, found = false;
  std::size_t start = 0;
  while (start < bytes.size()) {
    std::size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    std::string line = bytes.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (in_headers) {
      if (line.empty()) {
        in_headers = false;
        if (!found) part = &out.tail;  // none: the new one goes first
      } else if (skipping && (line[0] == ' ' || line[0] == '\t')) {
        continue;  // the old Message-ID's folded lines
      } else {
        skipping = false;
        std::string lower = line.substr(0, 12);
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.starts_with("message-id:")) {
          skipping = found = true;
          part = &out.tail;
          continue;
        }
        if (lower.starts_with("return-path:") && line.find("<>") != std::string::npos) {
          out.null_sender = true;
        }
      }
    }
    if (!line.empty() && line[0] == '.') *part += '.';
    *part += line;
    *part += "\r\n";
  }
  if (!found) {
    out.tail = out.head + out.tail;
    out.head.clear();
  }
  out.tail += ".\r\n";
  return out;
}

std::size_t header_lines(const std::string& message, std::string_view name) {
  std::size_t count = 0;
  for (std::size_t start = 0; start < message.size();) {
    std::size_t end = message.find("\r\n", start);
    if (end == std::string::npos || end == start) break;  // the blank line ends the header
    std::string line = message.substr(start, std::min(end - start, name.size()));
    for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (line == name) ++count;
    start = end + 2;
  }
  return count;
}

namespace {

// One SMTP reply, every line of a multi-line one; its code, or 0 when the connection failed.
asio::awaitable<int> read_reply(tcp::socket& socket, std::string& buffer, std::string& text) {
  text.clear();
  for (;;) {
    auto [ec, n] =
        co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), "\r\n", as_tuple);
    if (ec) {
      text = "connection: " + ec.message();
      co_return 0;
    }
    std::string line = buffer.substr(0, n - 2);
    buffer.erase(0, n);
    text += line;
    if (line.size() < 4 || line[3] != '-') co_return std::atoi(line.c_str());
    text += '\n';
  }
}

void note_error(SmtpTally& tally, const std::string& step, const std::string& text) {
  if (tally.first_error.empty()) tally.first_error = step + ": " + text;
}

}  // namespace

asio::awaitable<void> sender(unsigned short port, clock_type::time_point end,
                             std::vector<double>& latencies, std::size_t& errors,
                             const SendPlan& plan, int id, SmtpTally& tally) {
  tcp::socket socket(co_await asio::this_coro::executor);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  auto [cec] = co_await socket.async_connect(endpoint, as_tuple);
  std::string buffer, text;
  if (cec) {
    ++errors;
    note_error(tally, "connect", cec.message());
    co_return;
  }
  socket.set_option(tcp::no_delay(true));
  if (int code = co_await read_reply(socket, buffer, text); code != 220) {
    ++errors;
    note_error(tally, "greeting", text);
    co_return;
  }
  const std::string ehlo = "EHLO sender" + std::to_string(id) + ".bench.example\r\n";
  auto [eec, en] = co_await asio::async_write(socket, asio::buffer(ehlo), as_tuple);
  int ehlo_code = 0;
  if (!eec) ehlo_code = co_await read_reply(socket, buffer, text);
  if (ehlo_code != 250) {
    ++errors;
    note_error(tally, "EHLO", text);
    co_return;
  }
  const std::string sender_address = "sender" + std::to_string(id) + "@mta.example.org";
  for (std::uint64_t n = 0; clock_type::now() < end; ++n) {
    const WireMail& mail = plan.corpus[(id + n * plan.senders) % plan.corpus.size()];
    const std::array<std::string, 3> commands{
        "MAIL FROM:<" + (mail.null_sender ? "" : sender_address) + ">\r\n",
        "RCPT TO:<" + plan.recipient + ">\r\n", "DATA\r\n"};
    constexpr std::array<int, 3> kExpected{250, 250, 354};
    const std::string message = mail.head + "Message-ID: <mb-" + std::to_string(plan.run) + "-" +
                                std::to_string(id) + "-" + std::to_string(n) +
                                "@mta.example.org>\r\n" + mail.tail;
    const auto started = clock_type::now();
    // The answers to MAIL, RCPT and DATA; `broken` once the connection failed.
    std::array<int, 3> codes{0, 0, 0};
    bool broken = false;
    if (plan.pipelining) {  // one write, then the three answers in order
      const std::string all = commands[0] + commands[1] + commands[2];
      auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(all), as_tuple);
      broken = static_cast<bool>(wec);
      for (std::size_t k = 0; k < 3 && !broken; ++k) {
        codes[k] = co_await read_reply(socket, buffer, text);
        broken = codes[k] == 0;
        if (codes[k] != kExpected[k]) note_error(tally, commands[k].substr(0, 4), text);
      }
    } else {  // each command waits for the answer to the one before
      for (std::size_t k = 0; k < 3 && !broken; ++k) {
        auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(commands[k]), as_tuple);
        if (!wec) codes[k] = co_await read_reply(socket, buffer, text);
        broken = codes[k] == 0;
        if (codes[k] == kExpected[k]) continue;
        note_error(tally, commands[k].substr(0, 4), text);
        break;
      }
    }
    if (broken) {
      ++errors;
      co_return;
    }
    if (codes[2] != 354) {
      ++errors;
      const std::string rset = "RSET\r\n";
      auto [rec, rn] = co_await asio::async_write(socket, asio::buffer(rset), as_tuple);
      int rset_code = 0;
      if (!rec) rset_code = co_await read_reply(socket, buffer, text);
      if (rset_code != 250) co_return;
      continue;
    }
    auto [mec, mn] = co_await asio::async_write(socket, asio::buffer(message), as_tuple);
    int final_code = 0;
    if (!mec) final_code = co_await read_reply(socket, buffer, text);
    if (final_code != 250) {
      ++errors;
      note_error(tally, "end of data", text);
      if (final_code == 0) co_return;
      continue;
    }
    latencies.push_back(
        std::chrono::duration<double, std::milli>(clock_type::now() - started).count());
    if (text.find("queued as conversation") != std::string::npos) {
      ++tally.ingested;
    } else if (text.find("bounce") != std::string::npos) {
      ++tally.bounces;
    }
  }
  const std::string quit = "QUIT\r\n";
  auto [qec, qn] = co_await asio::async_write(socket, asio::buffer(quit), as_tuple);
  if (!qec) co_await read_reply(socket, buffer, text);
}

}  // namespace frontdoor::bench
