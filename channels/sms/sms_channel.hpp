// The SMS channel: residents text the city's numbers through a provider (Twilio-compatible or
// Kannel); agents' replies go back from the number the resident wrote to.
//
// Policy here, not in the dialects:
//  - Every number is normalized to E.164 (libphonenumber, channels.sms.default_region).
//  - A message that is exactly a consent keyword (STOP…, START…, HELP…, in English and the
//    configured languages; case- and accent-insensitive) changes consent or asks for help and is
//    answered with a confirmation from the templates in the keyword's language; it is not a
//    conversation message. STOP blocks every reply to that number until START.
//  - Everything else is ingested with the provider's message id as idempotency key, so a
//    retried webhook never makes a second message; MMS media URLs become attachments.
//  - With channels.sms.language_menu set, a text that opens a conversation and leaves its
//    language unknown gets one numbered language menu (language_menu.hpp), stored and sent like
//    a reply (Deliver), never to an opted-out number. While it is pending, a text that is just
//    one of its numbers is ingested with that language as the resident's choice ("selected"),
//    recorded by a system line and confirmed in that language.
//  - A reply is planned (GSM-7 or UCS-2, segments) and sent; a passing failure is retried by
//    the core's outbox as retry_policy() says (channels.sms.send_attempts, retry_base_ms);
//    a 4xx is final.
//    The outcome is the message's delivery status; providers' delivery reports update it.
#pragma once

#include <memory>

#include "channels/channel.hpp"

namespace frontdoor::sms {

std::unique_ptr<Channel> make_sms_channel(ChannelServices& services);

}  // namespace frontdoor::sms
