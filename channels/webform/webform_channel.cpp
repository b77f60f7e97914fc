// Web forms: Open311 GeoReport v2 under /open311/v2/ and a plain HTML form for the city's
// website (POST /forms/report). Each service request becomes its own conversation; the agent's
// newest reply is the request's status_notes; resolved and closed conversations read "closed".
// The resident's language: the form's `language` field is their choice (source "selected"),
// else the request's Accept-Language is a hint (docs/languages.md).
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "channels/channel.hpp"
#include "channels/webform/open311_format.hpp"
#include "daemon/crypto/tokens.hpp"
#include "daemon/http/api_error.hpp"
#include "daemon/http/router.hpp"
#include "daemon/ingest/ingest.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/store/conversation_store.hpp"
#include "i18n/text.hpp"

namespace frontdoor::webform {
namespace {

namespace asio = boost::asio;
using http::ApiError;
using http::ErrorCode;
using http::HttpRequest;
using http::HttpResponse;
using http::PathParams;

constexpr long long kDay = 24LL * 3600 * 1000;
constexpr int kMaxListed = 200;
// Browsers send a few tags; a longer Accept-Language is cut (a cut item is skipped as garbage).
constexpr std::size_t kMaxAcceptLanguage = 512;

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-11-25", "2026-11-25T10:00:00Z", "2026-11-25T10:00:00.5-08:00" → ms; nullopt if not.
std::optional<long long> parse_iso8601(const std::string& s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3) return std::nullopt;
  std::size_t pos = consumed;
  long long offset_s = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &consumed) != 3) {
      return std::nullopt;
    }
    pos += 1 + consumed;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    }
    if (pos < s.size() && s[pos] == 'Z') {
      ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
      int oh, om;
      if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
      offset_s = (oh * 3600LL + om * 60LL) * (s[pos] == '+' ? 1 : -1);
      pos += 6;
    }
    if (pos != s.size()) return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return (static_cast<long long>(timegm(&tm)) - offset_s) * 1000;
}

HttpResponse html_page(int status, const std::string& title, const std::string& body_html) {
  return HttpResponse::text(
      status,
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width,initial-scale=1\"><title>" +
          i18n::escape_html(title) +
          "</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body><main><h1>" +
          i18n::escape_html(title) + "</h1>" + body_html +
          "<p><a href=\"/report\">Report something else</a></p></main></body></html>",
      "text/html; charset=utf-8");
}

class WebformChannel : public Channel {
 public:
  explicit WebformChannel(ChannelServices& services)
      : config_(services.config.webform), ingest_(services.ingest), store_(services.store) {
    auto& router = services.router;
    router.set_error_renderer(
        "/open311/", [](ErrorCode code, const std::string& message, const HttpRequest& req) {
          auto format = req.path.ends_with(".xml") ? open311::Format::xml : open311::Format::json;
          int status = http::http_status(code);
          HttpResponse res{status,
                           std::string(open311::content_type(format)),
                           open311::render_errors({{status, message}}, format),
                           {}};
          return res;
        });
    router.set_error_renderer(
        "/forms/", [](ErrorCode code, const std::string& message, const HttpRequest&) {
          return html_page(http::http_status(code),
                           code == ErrorCode::unavailable ? "Please try again in a moment"
                                                          : "We could not file your report",
                           "<p>" + i18n::escape_html(message) + "</p>");
        });
    router.add("GET", "/open311/v2/services.{format}",
               [this](HttpRequest&, const PathParams& p) -> asio::awaitable<HttpResponse> {
                 auto f = format(p);
                 co_return respond(200, f, open311::render_services(config_.services, f));
               });
    router.add("GET", "/open311/v2/services/{code}.{format}",
               [this](HttpRequest&, const PathParams& p) -> asio::awaitable<HttpResponse> {
                 auto f = format(p);
                 const ServiceDefinition& service =
                     find_service(p.at("code"), ErrorCode::not_found);
                 co_return respond(200, f, open311::render_service_definition(service, f));
               });
    router.add("POST", "/open311/v2/requests.{format}",
               [this](HttpRequest& req, const PathParams& p) -> asio::awaitable<HttpResponse> {
                 auto f = format(p);
                 auto parsed = open311::parse_new_request(req.body);
                 if (auto* errors = std::get_if<std::vector<open311::Error>>(&parsed)) {
                   metrics::rejected("webform", "invalid_request").inc();
                   co_return respond(400, f, open311::render_errors(*errors, f));
                 }
                 auto& request = std::get<open311::NewRequest>(parsed);
                 if (!config_.api_key.empty() && request.api_key != config_.api_key) {
                   throw ApiError(ErrorCode::forbidden, "api_key is missing or not valid");
                 }
                 if (!config_.jurisdiction_id.empty() && !request.jurisdiction_id.empty() &&
                     request.jurisdiction_id != config_.jurisdiction_id) {
                   throw ApiError(
                       ErrorCode::not_found,
                       "jurisdiction_id " + request.jurisdiction_id + " is not served here");
                 }
                 auto id = co_await file_request(request, req.header("idempotency-key"),
                                                 req.header("accept-language"));
                 co_return respond(201, f, open311::render_created(id, "", request.account_id, f));
               });
    router.add("GET", "/open311/v2/requests/{id}.{format}",
               [this](HttpRequest&, const PathParams& p) -> asio::awaitable<HttpResponse> {
                 auto f = format(p);
                 auto request = co_await load(p.at("id"));
                 if (!request)
                   throw ApiError(ErrorCode::not_found, "no service request " + p.at("id"));
                 co_return respond(200, f, open311::render_requests({*request}, f));
               });
    router.add("GET", "/open311/v2/requests.{format}",
               [this](HttpRequest& req, const PathParams& p) -> asio::awaitable<HttpResponse> {
                 auto f = format(p);
                 co_return respond(200, f, open311::render_requests(co_await search(req), f));
               });
    router.add("POST", "/forms/report",
               [this](HttpRequest& req, const PathParams&) -> asio::awaitable<HttpResponse> {
                 co_return co_await html_report(req);
               });
  }

  std::string_view name() const override { return "webform"; }

  // A reply to a web form request is published as the request's status_notes.
  asio::awaitable<SendResult> send(const Outbound&) override {
    co_return SendResult{SendOutcome::accepted, {}, {}};
  }

 private:
  static open311::Format format(const PathParams& p) {
    auto f = open311::format_from_extension(p.at("format"));
    if (!f) throw ApiError(ErrorCode::not_found, "format must be json or xml");
    return *f;
  }

  static HttpResponse respond(int status, open311::Format f, std::string body) {
    return HttpResponse{status, std::string(open311::content_type(f)), std::move(body), {}};
  }

  const ServiceDefinition& find_service(const std::string& code, ErrorCode if_missing) const {
    for (const auto& s : config_.services) {
      if (s.code == code) return s;
    }
    throw ApiError(if_missing, "service_code " + code + " is not offered");
  }

  // `accept_language`: the request's Accept-Language header, a hint below the form's own
  // language field (docs/languages.md).
  asio::awaitable<std::string> file_request(const open311::NewRequest& r,
                                            const std::string& idempotency_key,
                                            const std::string& accept_language) {
    const ServiceDefinition& service = find_service(r.service_code, ErrorCode::invalid_field);
    Inbound in;
    in.channel = "webform";
    if (!r.email.empty()) {
      std::string email = r.email;
      for (auto& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      in.address = "email:" + email;
    } else if (!r.device_id.empty()) {
      in.address = "device:" + r.device_id;
    } else {
      in.address = "anon:" + crypto::random_hex(8);  // nobody to link it to
    }
    in.display_name =
        r.first_name + (r.first_name.empty() || r.last_name.empty() ? "" : " ") + r.last_name;
    in.text = r.description.empty() ? service.name : r.description;
    in.subject = service.name;
    in.idempotency_key = idempotency_key.substr(0, 128);
    in.new_conversation = true;
    if (!r.language.empty()) {
      in.language = r.language;
      in.language_stated = true;  // the resident chose it: source "selected"
    } else {
      in.language = accept_language.substr(0, kMaxAcceptLanguage);  // a hint, q-values and all
    }
    in.queue = service.queue.empty() ? config_.queue : service.queue;
    in.attributes = {{"service_code", service.code}, {"service_name", service.name}};
    auto keep = [&](const char* k, const std::string& v) {
      if (!v.empty()) in.attributes[k] = v;
    };
    keep("lat", r.lat);
    keep("long", r.long_);
    keep("address", r.address_string);
    keep("address_id", r.address_id);
    keep("media_url", r.media_url);
    keep("account_id", r.account_id);
    keep("phone", r.phone);
    keep("email", r.email);
    keep("description", r.description);
    for (const auto& [code, value] : r.attributes) {
      auto& kept = in.attributes["attribute." + code];  // attribute[code][] repeats: keep all
      kept += (kept.empty() ? "" : ",") + value;
    }
    auto result = co_await ingest_.accept(std::move(in));
    co_return result.conversation_id;
  }

  asio::awaitable<std::optional<open311::ServiceRequest>> load(const std::string& id) {
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
      co_return std::nullopt;
    auto conv = co_await store_.conversation(id);
    if (!conv || (*conv)["origin_channel"] != "webform") co_return std::nullopt;
    auto& c = *conv;
    auto ms = [&](const char* k) {
      return c[k].empty() ? std::string() : open311::iso8601_utc(std::stoll(c[k]));
    };
    open311::ServiceRequest r;
    r.service_request_id = id;
    r.status = c["status"] == "resolved" || c["status"] == "closed" ? "closed" : "open";
    r.status_notes = c["last_reply"];
    r.service_name = c["attr.service_name"];
    r.service_code = c["attr.service_code"];
    r.description = c["attr.description"];
    r.agency_responsible = c["queue"];
    r.requested_datetime = ms("created_at");
    r.updated_datetime = ms("updated_at");
    r.address = c["attr.address"];
    r.address_id = c["attr.address_id"];
    r.lat = c["attr.lat"];
    r.long_ = c["attr.long"];
    r.media_url = c["attr.media_url"];
    co_return r;
  }

  asio::awaitable<std::vector<open311::ServiceRequest>> search(const HttpRequest& req) {
    std::vector<std::string> ids;
    if (auto list = req.param("service_request_id"); !list.empty()) {
      for (std::size_t start = 0; start <= list.size() && ids.size() < kMaxListed;) {
        auto end = std::min(list.find(',', start), list.size());
        if (end > start) ids.push_back(list.substr(start, end - start));
        start = end + 1;
      }
    } else {
      long long to = now_ms(), from = to - 90 * kDay;
      if (auto s = req.param("end_date"); !s.empty()) {
        auto t = parse_iso8601(s);
        if (!t) throw ApiError(ErrorCode::invalid_field, "end_date is not an ISO 8601 time");
        to = *t;
      }
      if (auto s = req.param("start_date"); !s.empty()) {
        auto t = parse_iso8601(s);
        if (!t) throw ApiError(ErrorCode::invalid_field, "start_date is not an ISO 8601 time");
        from = *t;
      }
      ids = co_await store_.ids_by_origin("webform", from, to, 1000);
    }
    std::string status = req.param("status"), code = req.param("service_code");
    if (!status.empty() && status != "open" && status != "closed") {
      throw ApiError(ErrorCode::invalid_field, "status must be open or closed");
    }
    std::vector<open311::ServiceRequest> out;
    for (const auto& id : ids) {
      auto r = co_await load(id);
      if (!r || (!status.empty() && r->status != status) ||
          (!code.empty() && r->service_code != code)) {
        continue;
      }
      out.push_back(std::move(*r));
      if (out.size() >= kMaxListed) break;
    }
    co_return out;
  }

  asio::awaitable<HttpResponse> html_report(const HttpRequest& req) {
    auto parsed = open311::parse_new_request(req.body);
    std::string problems;
    if (auto* errors = std::get_if<std::vector<open311::Error>>(&parsed)) {
      for (const auto& e : *errors) problems += "<li>" + i18n::escape_html(e.description) + "</li>";
    } else {
      const auto& r = std::get<open311::NewRequest>(parsed);
      bool offered = false;
      for (const auto& s : config_.services) offered = offered || s.code == r.service_code;
      if (!offered) problems += "<li>Please choose what you are reporting.</li>";
    }
    if (!problems.empty()) {
      metrics::rejected("webform", "invalid_request").inc();
      co_return html_page(400, "Please check your report",
                          "<p>We could not file your report yet:</p><ul>" + problems + "</ul>");
    }
    // Refusals from here on (store unavailable, a field ingest refuses) are written as HTML
    // pages by the /forms/ error renderer.
    std::string id = co_await file_request(std::get<open311::NewRequest>(parsed), {},
                                           req.header("accept-language"));
    co_return html_page(
        201, "Thank you",
        "<p>Your report is filed. Your reference number is <strong id=\"reference\">" +
            i18n::escape_html(id) + "</strong>. Keep it to ask about your report.</p>");
  }

  const Config::Webform& config_;
  Ingest& ingest_;
  store::ConversationStore& store_;
};

}  // namespace
}  // namespace frontdoor::webform

FRONTDOOR_REGISTER_CHANNEL(
    "webform", [](const frontdoor::Config& c) { return c.webform.enabled; },
    [](frontdoor::ChannelServices& s) -> std::unique_ptr<frontdoor::Channel> {
      return std::make_unique<frontdoor::webform::WebformChannel>(s);
    })
