// Email: residents write to the city's address; the city's mail server delivers to the
// built-in SMTP/LMTP receiver (smtp_receiver.hpp).
//
// What happens to a delivered mail (policy here; parsing in mime_message, trimming in
// reply_trimmer):
//  1. It is parsed with GMime off the I/O threads. The raw message is kept under
//     <data_dir>/mail/ by its SHA-256 and attachments under <data_dir>/attachments/ (at most
//     channels.email.max_attachment_bytes each), referenced from the message.
//  2. A bounce (DSN) becomes the delivery status of the outbound mail it names, not a message.
//  3. Threading: the conversation is found by In-Reply-To, then References (newest first),
//     against every Message-ID frontdoor has seen in a conversation; never by subject. Without
//     a match the mail joins the resident's open conversation or opens a new one.
//  4. The agent sees the new text (quotes and signatures trimmed); the full text and the raw
//     message stay on the message. Auto-replies are recorded, marked, and never answered.
//  5. The sending server hears 250 only once the message is durable; 451 while the store is
//     unavailable.
// Agents' replies (send()) go to the city's mail server, threaded on the resident's mail, with a
// Message-ID that maps back to the conversation.
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <fstream>

#include "channels/channel.hpp"
#include "channels/email/imap_poller.hpp"
#include "channels/email/mime_message.hpp"
#include "channels/email/outbound_message.hpp"
#include "channels/email/reply_trimmer.hpp"
#include "channels/email/smtp_receiver.hpp"
#include "channels/unanswered.hpp"
#include "daemon/crypto/tokens.hpp"
#include "daemon/http/api_error.hpp"
#include "daemon/ingest/ingest.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/net/http_client.hpp"
#include "daemon/offload.hpp"
#include "daemon/store/conversation_store.hpp"
#include "i18n/text.hpp"
#include "templates/catalog.hpp"

namespace frontdoor::email {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

constexpr int kThreadMemorySeconds = 400 * 24 * 3600;  // residents answer mails months later
constexpr std::size_t kShownChars = 9000;              // below ingest's 10 000-character limit
constexpr std::size_t kFullTextBytes = 64 * 1024;      // the rest stays in the raw message

// The first `max` code points of `text` (UTF-8).
std::string first_code_points(const std::string& text, std::size_t max) {
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && points++ == max) {
      return text.substr(0, i);
    }
  }
  return text;
}

// At most `max` bytes of `text`, never cutting a UTF-8 sequence.
std::string first_bytes(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Writes `bytes` to <root>/<sha[0:2]>/<sha><suffix> once; returns the path relative to root.
std::string keep(const fs::path& root, const std::string& bytes, const std::string& suffix) {
  std::string sha = crypto::sha256_hex(bytes);
  fs::path relative = fs::path(sha.substr(0, 2)) / (sha + suffix);
  fs::path path = root / relative;
  if (!fs::exists(path)) {
    fs::create_directories(path.parent_path());
    fs::path partial = path;
    partial += "." + crypto::random_hex(6) + ".partial";  // two threads may write the same file
    {
      std::ofstream out(partial, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) throw std::runtime_error("cannot write " + partial.string());
    }
    fs::rename(partial, path);
  }
  return relative.string();
}

struct Prepared {
  ParsedMail mail;
  std::string raw_ref;                       // mail/<..>.eml
  std::vector<std::string> attachment_refs;  // attachments/<..>?name=…
  std::string new_text;
  bool trimmed = false;
};

class EmailChannel : public Channel, public MailSink {
 public:
  explicit EmailChannel(ChannelServices& services, asio::io_context& io)
      : config_(services.config.email),
        data_dir_(services.config.data_dir),
        ingest_(services.ingest),
        store_(services.store),
        http_(services.http_client),
        templates_(templates::Catalog::load_configured(services.config.server.templates_dir)),
        receiver_(io, services.config.email, *this),
        work_(2) {
    receiver_.start();
    log::info("smtp_listening",
              {{"port", std::to_string(receiver_.port())}, {"protocol", config_.protocol}});
    if (!config_.imap_url.empty()) {
      imap_ = std::make_unique<ImapPoller>(services.executor, config_, http_, store_, *this);
      imap_->start();
    }
  }

  ~EmailChannel() override { work_.join(); }

  std::string_view name() const override { return "email"; }

  asio::awaitable<std::string> refusal(const Outbound& out) override {
    if (config_.outbound_url.empty()) {
      co_return "replies by email are not available: channels.email.outbound_url is not set";
    }
    if (!out.address.starts_with("email:")) co_return "the resident has no email address";
    co_return "";
  }

  RetryPolicy retry_policy() const override {
    return {config_.send_attempts, config_.retry_base_ms, 3600 * 1000};
  }

  // A reply by mail: threaded on the resident's last mail, with a Message-ID that maps back to
  // this conversation (so the resident's answer and any bounce find it), submitted to the
  // city's mail server. 250 is "sent"; a 4xx answer or a server that could not be reached is
  // tried again (the core's outbox); a 5xx is a failure the agent sees, and so is a server that
  // went silent after taking the message (it may have been sent).
  asio::awaitable<SendResult> send(const Outbound& out) override {
    auto fact = [&](const char* name) {
      auto it = out.facts.find(name);
      return it == out.facts.end() ? std::string() : it->second;
    };
    OutboundMail mail;
    mail.from_name = config_.from_name;
    mail.from_address = config_.from_address;
    mail.to_address = out.address.substr(6);
    mail.subject = fact("email_subject").empty() ? out.subject : fact("email_subject");
    mail.reply_to = config_.reply_to;
    mail.in_reply_to = fact("email_last_message_id");
    if (auto root = fact("email_thread_root"); !root.empty() && root != mail.in_reply_to) {
      mail.references.push_back(root);
    }
    mail.message_id =
        make_message_id(out.conversation_id, out.message_id,
                        config_.from_address.substr(config_.from_address.find('@') + 1));
    mail.language = out.language;
    // The agent's words, then the footer in the resident's language (what the request is, how
    // to go on, where emergencies go) below a signature separator, so the resident's client
    // folds it away in the thread and our own trimmer cuts it from her answer.
    mail.text =
        out.text + "\n\n-- \n" +
        templates_.render("email.footer", out.language, {{"reference", out.conversation_id}});
    mail.date_unix = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    net::HttpClientRequest request;
    request.url = config_.outbound_url;
    request.mail_from = config_.from_address;
    request.mail_recipients = {mail.to_address};
    request.basic_auth_user = config_.outbound_username;
    request.basic_auth_password = config_.outbound_password;
    request.require_tls = config_.outbound_require_tls;
    request.timeout = std::chrono::seconds(60);
    try {
      if (config_.reply_address_tags) {
        mail.reply_to =
            reply_address(out.conversation_id,
                          config_.reply_to.empty() ? config_.from_address : config_.reply_to);
      }
      request.body = build_mime(mail);
    } catch (const std::invalid_argument& e) {
      co_return SendResult{SendOutcome::rejected, {}, e.what()};
    }
    net::HttpClientResponse response;
    try {
      response = co_await http_.request(std::move(request));
    } catch (const net::HttpClientError& e) {
      co_return unanswered(e);
    }
    if (response.status >= 400 && response.status < 500) {
      co_return SendResult{SendOutcome::retry_later,
                           {},
                           "the mail server asked to try later (" +
                               std::to_string(response.status) + ")" +
                               (response.body.empty() ? "" : ": " + response.body)};
    }
    if (response.status != 250) {
      co_return SendResult{SendOutcome::rejected,
                           {},
                           "the mail server refused it (" + std::to_string(response.status) + ")" +
                               (response.body.empty() ? "" : ": " + response.body)};
    }
    try {
      co_await store_.remember_provider_id("email", mail.message_id, out.conversation_id,
                                           out.message_id, kThreadMemorySeconds);
    } catch (const std::exception& e) {
      // The mail is out (never send it again); only threading by its Message-ID is lost.
      log::warn("email_message_id_not_recorded",
                {{"message", out.message_id}, {"error", e.what()}});
    }
    co_return SendResult{SendOutcome::accepted, mail.message_id, {}};
  }

  void stop() override {
    receiver_.stop();
    if (imap_) imap_->stop();
  }

  asio::awaitable<DeliveryAnswer> deliver(Envelope envelope, std::string raw) override {
    auto prepare = [this, raw = std::move(raw)] { return prepared(raw); };
    Prepared p = co_await offload(work_, std::move(prepare));
    try {
      if (p.mail.is_bounce) co_return co_await bounce(p.mail);
      co_return co_await ingest(envelope, p);
    } catch (const redis::RedisUnavailable&) {
      metrics::rejected("smtp", "unavailable").inc();
      co_return DeliveryAnswer{DeliveryAnswer::Kind::try_later, "the message store is unavailable"};
    } catch (const http::ApiError& e) {
      co_return DeliveryAnswer{DeliveryAnswer::Kind::refused, e.what()};
    }
  }

 private:
  // Parsing and files: runs on the work pool.
  Prepared prepared(const std::string& raw) const {
    Prepared p;
    p.mail = parse_mail(raw);
    p.raw_ref = "mail/" + keep(fs::path(data_dir_) / "mail", raw, ".eml");
    for (const auto& a : p.mail.attachments) {
      if (a.data.size() > config_.max_attachment_bytes) {
        p.mail.problems.push_back("attachment " + a.filename + " is over the size limit");
        continue;
      }
      p.attachment_refs.push_back(
          "attachments/" + keep(fs::path(data_dir_) / "attachments", a.data, "") + "?" +
          net::form_encode({{"name", a.filename}, {"type", a.content_type}}));
    }
    auto trimmed = trim_reply(p.mail.text, {.subject = p.mail.subject});
    p.new_text = trimmed.text;
    p.trimmed = trimmed.trimmed;
    return p;
  }

  asio::awaitable<DeliveryAnswer> bounce(const ParsedMail& mail) {
    auto found = mail.bounced_message_id.empty()
                     ? std::nullopt
                     : co_await store_.find_provider_id("email", mail.bounced_message_id);
    if (!found) {
      metrics::rejected("smtp", "unknown_bounce").inc();
      co_return DeliveryAnswer{DeliveryAnswer::Kind::accepted, "bounce noted"};
    }
    try {
      co_await store_.set_delivery(found->first, found->second,
                                   mail.bounce_permanent ? "failed" : "retrying",
                                   "bounced: " + mail.bounce_status);
    } catch (const store::StoreError&) {
      // It names a resident's mail, not one of ours: nothing to update, and never a 451 loop.
      metrics::rejected("smtp", "unknown_bounce").inc();
      co_return DeliveryAnswer{DeliveryAnswer::Kind::accepted, "bounce noted"};
    }
    co_return DeliveryAnswer{DeliveryAnswer::Kind::accepted, "bounce recorded"};
  }

  asio::awaitable<DeliveryAnswer> ingest(const Envelope& envelope, const Prepared& p) {
    const ParsedMail& mail = p.mail;
    // A Message-ID seen before is the same mail again (a sender's retry, a mailbox polled
    // anew, or one of our own replies looping back): nothing changes.
    if (!mail.message_id.empty()) {
      if (auto known = co_await store_.find_provider_id("email", mail.message_id)) {
        metrics::registry()
            .counter("frontdoor_email_repeats_total",
                     "Mails whose Message-ID was already stored or sent; not stored again.")
            .inc();
        co_return DeliveryAnswer{DeliveryAnswer::Kind::accepted,
                                 "queued as conversation " + known->first};
      }
    }
    std::string sender = lower(mail.from.address.empty() ? envelope.mail_from : mail.from.address);
    Inbound in;
    in.channel = "email";
    in.address = sender.find('@') != std::string::npos
                     ? "email:" + sender
                     : "anon:" + crypto::sha256_hex(p.raw_ref).substr(0, 16);
    in.display_name = mail.from.name;
    in.subject = mail.subject;
    in.text = p.new_text.find_first_not_of(" \t\r\n") != std::string::npos ? p.new_text
              : !mail.subject.empty()                                      ? mail.subject
                                                                           : "(no text)";
    // A Message-ID is the natural key; a missing or absurdly long one falls back to the content.
    in.idempotency_key = mail.message_id.empty() || mail.message_id.size() > 200
                             ? "sha256:" + crypto::sha256_hex(p.raw_ref)
                             : mail.message_id;
    // A very long mail is shown shortened rather than refused (a refusal would bounce it back
    // to the resident for good); the whole text stays in the raw message.
    if (i18n::code_points(in.text) > kShownChars) {
      in.text =
          first_code_points(in.text, kShownChars) + "\n[…] (shortened: the full mail is kept)";
    }
    in.queue = config_.queue;
    in.language = mail.content_language;
    in.attachments = p.attachment_refs;
    in.message_fields["raw"] = p.raw_ref;
    if (p.trimmed || mail.text.size() > kFullTextBytes) {
      in.message_fields["full_text"] = first_bytes(mail.text, kFullTextBytes);
    }
    if (!mail.message_id.empty()) in.message_fields["email_message_id"] = mail.message_id;
    if (mail.auto_submitted) {
      in.message_fields["auto_submitted"] = mail.auto_reason;
      in.passive = true;  // an out-of-office answer is not the resident answering
    }
    in.conversation_hint = co_await thread_of(mail, envelope, in.address);
    in.attributes = {{"email_to", envelope.recipients.front()}};
    // What a reply threads on: the resident's newest mail and the thread's first.
    if (!mail.message_id.empty()) {
      in.attributes["email_last_message_id"] = mail.message_id;
      in.attributes["email_thread_root"] =
          mail.references.empty() ? mail.message_id : mail.references.front();
    }
    if (!mail.subject.empty()) in.attributes["email_subject"] = mail.subject;
    auto result = co_await ingest_.accept(std::move(in));
    if (!mail.message_id.empty()) {
      co_await store_.remember_provider_id("email", mail.message_id, result.conversation_id,
                                           result.message_id, kThreadMemorySeconds);
    }
    if (mail.auto_submitted) {
      metrics::registry()
          .counter("frontdoor_email_auto_replies_total", "Auto-replies received and recorded.")
          .inc();
    }
    co_return DeliveryAnswer{DeliveryAnswer::Kind::accepted,
                             "queued as conversation " + result.conversation_id};
  }

  // The conversation a mail belongs to: the first of these that is the sender's and not
  // closed. In-Reply-To, then References from the newest, through the Message-IDs frontdoor
  // has seen (or, after 400 days, one of its own Message-IDs, which names its conversation);
  // then a tagged recipient (311+c42@…). Someone else's conversation is never joined, however
  // the headers name it.
  asio::awaitable<std::string> thread_of(const ParsedMail& mail, const Envelope& envelope,
                                         const std::string& address) {
    std::vector<std::string> ids;
    if (!mail.in_reply_to.empty()) ids.push_back(mail.in_reply_to);
    ids.insert(ids.end(), mail.references.rbegin(), mail.references.rend());
    std::vector<std::string> candidates;
    for (const auto& id : ids) {
      if (auto found = co_await store_.find_provider_id("email", id)) {
        candidates.push_back(found->first);
      } else if (auto ours = parse_message_id(id)) {
        candidates.push_back(ours->first);
      }
    }
    std::vector<std::string> recipients = envelope.recipients;
    for (const auto& to : mail.to) recipients.push_back(to.address);
    for (const auto& cc : mail.cc) recipients.push_back(cc.address);
    for (const auto& recipient : recipients) {
      if (auto tagged = conversation_of_reply_address(recipient)) candidates.push_back(*tagged);
    }
    if (candidates.empty()) co_return std::string();
    const std::string contact = co_await store_.contact_of(address);
    if (contact.empty()) co_return std::string();  // a first mail: nothing of theirs to join
    for (const auto& id : candidates) {
      auto conversation = co_await store_.conversation(id);
      if (conversation && (*conversation)["contact"] == contact &&
          (*conversation)["status"] != "closed") {
        co_return id;
      }
    }
    co_return std::string();
  }

  const Config::Email& config_;
  std::string data_dir_;
  Ingest& ingest_;
  store::ConversationStore& store_;
  net::HttpClient& http_;
  templates::Catalog templates_;
  SmtpReceiver receiver_;
  std::unique_ptr<ImapPoller> imap_;
  asio::thread_pool work_;
};

}  // namespace
}  // namespace frontdoor::email

FRONTDOOR_REGISTER_CHANNEL(
    "email", [](const frontdoor::Config& c) { return c.email.enabled; },
    [](frontdoor::ChannelServices& s) -> std::unique_ptr<frontdoor::Channel> {
      return std::make_unique<frontdoor::email::EmailChannel>(s, s.io_context);
    })
