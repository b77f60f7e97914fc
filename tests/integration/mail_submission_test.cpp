// The shared curl engine submits a reply built by the outbound message builder to a real SMTP
// server (Exim, tests/integration/smtp_sink_rig), which stores what a mail client would thread on.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "channels/email/mime_message.hpp"
#include "channels/email/outbound_message.hpp"
#include "daemon/net/http_client.hpp"
#include "tests/integration/smtp_sink_rig.hpp"

using namespace frontdoor;

namespace {

net::HttpClientResponse submit(net::HttpClientRequest request) {
  boost::asio::io_context io;
  net::HttpClient client(io.get_executor(), {});
  auto done =
      boost::asio::co_spawn(io, client.request(std::move(request)), boost::asio::use_future);
  io.run();
  return done.get();
}

}  // namespace

TEST_CASE("a reply is submitted over SMTP with the headers a mail client threads on") {
  testing::SmtpSinkRig sink;
  email::OutboundMail mail;
  mail.from_name = "Ciudad 311";
  mail.from_address = "311@city.test";
  mail.to_name = "María Peña";
  mail.to_address = "maria@example.org";
  mail.subject = "Señal de tránsito rota";
  mail.in_reply_to = "latin1@example.org";
  mail.references = {"latin1@example.org"};
  mail.message_id = email::make_message_id("42", "1700000000000-0", "city.test");
  mail.language = "es";
  mail.text = "Gracias, María. Una cuadrilla la repondrá mañana.";
  mail.date_unix = 1795000000;

  net::HttpClientRequest request;
  request.url = "smtp://127.0.0.1:" + std::to_string(sink.port());
  request.mail_from = mail.from_address;
  request.mail_recipients = {mail.to_address};
  request.body = email::build_mime(mail);
  request.basic_auth_user = sink.username();
  request.basic_auth_password = sink.password();
  auto response = submit(request);
  CHECK(response.status == 250);

  auto received = sink.wait_for(1, std::chrono::seconds(10));
  REQUIRE(received.size() == 1);
  auto parsed = email::parse_mail(received[0]);
  CHECK(parsed.message_id == mail.message_id);
  CHECK(parsed.in_reply_to == "latin1@example.org");
  CHECK(parsed.references == std::vector<std::string>{"latin1@example.org"});
  CHECK(parsed.subject == "Re: Señal de tránsito rota");
  CHECK(parsed.from.name == "Ciudad 311");
  CHECK(parsed.content_language == "es");
  CHECK(parsed.text.find("Una cuadrilla la repondrá mañana.") != std::string::npos);
  auto ids = email::parse_message_id(parsed.message_id);
  REQUIRE(ids.has_value());
  CHECK(ids->first == "42");

  // A refusal is the server's answer, not a transport error: here a wrong password.
  request.basic_auth_password = "wrong";
  auto refused = submit(request);
  CHECK(refused.status == 535);
}
