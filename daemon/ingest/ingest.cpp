#include "daemon/ingest/ingest.hpp"

#include <chrono>
#include <cstdio>
#include <utility>

#include "daemon/http/api_error.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "i18n/text.hpp"

namespace frontdoor {

using http::ApiError;
using http::ErrorCode;

namespace {

ApiError refuse(std::string_view channel, ErrorCode code, std::string message) {
  metrics::rejected(std::string(channel), std::string(http::code_name(code))).inc();
  return ApiError(code, std::move(message));
}

}  // namespace

Ingest::Ingest(store::ConversationStore& store, Limits limits,
               i18n::LanguageDetector::Settings languages)
    : store_(store), limits_(limits), languages_(std::move(languages)) {}

std::string Ingest::checked_text(std::string_view channel, std::string_view field,
                                 std::string_view text, std::size_t max_chars) const {
  auto nfc = i18n::normalize_nfc(text);
  if (!nfc)
    throw refuse(channel, ErrorCode::invalid_utf8, std::string(field) + " is not valid UTF-8");
  for (unsigned char c : *nfc) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      throw refuse(channel, ErrorCode::invalid_field,
                   std::string(field) + " contains a control character");
    }
  }
  if (i18n::code_points(*nfc) > max_chars) {
    throw refuse(
        channel, ErrorCode::invalid_field,
        std::string(field) + " is longer than " + std::to_string(max_chars) + " characters");
  }
  return std::move(*nfc);
}

boost::asio::awaitable<IngestResult> Ingest::accept(Inbound in) {
  const std::string channel = in.channel;
  in.text = checked_text(channel, "text", in.text, limits_.max_text_chars);
  if (in.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw refuse(channel, ErrorCode::missing_field, "text is empty");
  }
  in.display_name = checked_text(channel, "name", in.display_name, limits_.max_name_chars);
  in.subject = checked_text(channel, "subject", in.subject, 998);
  auto colon = in.address.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == in.address.size() ||
      in.address.size() > 320 || !i18n::is_valid_utf8(in.address) ||
      in.address.find_first_of(" \t\r\n") != std::string::npos) {
    throw refuse(channel, ErrorCode::invalid_field, "the sender's address is not usable");
  }
  if (in.idempotency_key.size() > 200 || !i18n::is_valid_utf8(in.idempotency_key)) {
    throw refuse(channel, ErrorCode::invalid_field, "the idempotency key is not usable");
  }
  in.priority = std::clamp(in.priority, 0, 9);

  const i18n::MessageLanguage language = languages_.of(in.text, in.language, in.language_stated);
  in.language = language.tag;
  in.language_stated = language.source == i18n::LanguageSource::stated ||
                       language.source == i18n::LanguageSource::selected;
  in.language_source = i18n::to_string(language.source);
  in.language_confidence.clear();
  if (language.source == i18n::LanguageSource::detected) {
    char confidence[8];
    std::snprintf(confidence, sizeof confidence, "%.2f", language.confidence);
    in.language_confidence = confidence;
  }

  auto started = std::chrono::steady_clock::now();
  IngestResult result = co_await store_.ingest(in);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  static auto& latency = metrics::registry().histogram(
      "frontdoor_ingest_duration_seconds", "Time to make one inbound message durable in Redis.");
  latency.observe(seconds);
  if (result.duplicate) {
    metrics::registry()
        .counter("frontdoor_inbound_duplicates_total",
                 "Inbound messages dropped as repeats of a provider's idempotency key.",
                 {{"channel", channel}})
        .inc();
  } else {
    metrics::inbound(channel).inc();
    metrics::registry()
        .counter("frontdoor_inbound_language_total",
                 "Inbound messages by how their language was decided: stated, hint, detected, "
                 "or unknown.",
                 {{"source", in.language_source.empty() ? "unknown" : in.language_source}})
        .inc();
  }
  log::info("message_ingested", {{"channel", channel},
                                 {"conversation", result.conversation_id},
                                 {"message", result.message_id},
                                 {"language", in.language},
                                 {"language_source", in.language_source},
                                 {"duplicate", result.duplicate ? "true" : "false"},
                                 {"created", result.created ? "true" : "false"}});
  if (stored_) stored_(in, result);
  co_return result;
}

}  // namespace frontdoor
