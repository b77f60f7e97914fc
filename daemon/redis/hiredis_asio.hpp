// hiredis's async API driven by Asio: the event-library adapter hiredis 0.14 does not ship.
//
// Contract
//  1. attach_to_strand() installs hiredis's event hooks on `context`, so that its socket is
//     watched by a posix::stream_descriptor whose waits complete on `strand`. Every hiredis
//     call the adapter makes (redisAsyncHandleRead/Write) happens on that strand; the caller
//     makes all of its own hiredis calls on the same strand.
//  2. hiredis owns the file descriptor. When hiredis frees the context it calls the cleanup
//     hook: the descriptor is released from Asio (pending waits end with operation_aborted),
//     never closed, and the adapter makes no further hiredis call.
//  3. While hiredis handles an event, `owner` is locked, so the object that owns the context
//     (and whose callbacks hiredis runs from inside that call) stays alive until the call
//     returns. Once `owner` has expired, events are ignored.
//  4. Returns false, leaving the context without hooks, when the descriptor cannot be
//     registered with Asio; the caller then frees the context.
#pragma once

#include <hiredis/async.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <memory>

namespace frontdoor::redis {

bool attach_to_strand(redisAsyncContext* context,
                      boost::asio::strand<boost::asio::any_io_executor> strand,
                      std::weak_ptr<void> owner);

}  // namespace frontdoor::redis
