#include "daemon/redis/hiredis_asio.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>
#include <exception>
#include <utility>

namespace frontdoor::redis {
namespace {

using Strand = boost::asio::strand<boost::asio::any_io_executor>;
using boost::asio::posix::stream_descriptor;

// What hiredis's hooks act on for one context. hiredis reaches it through ev.data; `self_`
// is hiredis's reference, dropped by the cleanup hook, and every pending wait holds its own.
// All members are touched on the strand only.
class SocketWatch : public std::enable_shared_from_this<SocketWatch> {
 public:
  SocketWatch(redisAsyncContext* context, Strand strand, std::weak_ptr<void> owner)
      : context_(context),
        strand_(std::move(strand)),
        descriptor_(strand_, context->c.fd),
        owner_(std::move(owner)) {}

  void install(std::shared_ptr<SocketWatch> self) {
    self_ = std::move(self);
    context_->ev.data = this;
    context_->ev.addRead = &SocketWatch::add_read;
    context_->ev.delRead = &SocketWatch::del_read;
    context_->ev.addWrite = &SocketWatch::add_write;
    context_->ev.delWrite = &SocketWatch::del_write;
    context_->ev.cleanup = &SocketWatch::cleanup;
  }

 private:
  static SocketWatch* from(void* data) { return static_cast<SocketWatch*>(data); }

  static void add_read(void* data) {
    SocketWatch* watch = from(data);
    watch->want_read_ = true;
    watch->arm(stream_descriptor::wait_read);
  }
  static void del_read(void* data) { from(data)->want_read_ = false; }
  static void add_write(void* data) {
    SocketWatch* watch = from(data);
    watch->want_write_ = true;
    watch->arm(stream_descriptor::wait_write);
  }
  static void del_write(void* data) { from(data)->want_write_ = false; }

  // hiredis is freeing the context and will close the descriptor itself.
  static void cleanup(void* data) {
    SocketWatch* watch = from(data);
    std::shared_ptr<SocketWatch> last_hiredis_reference = std::move(watch->self_);
    redisAsyncContext* context = std::exchange(watch->context_, nullptr);
    context->ev.data = nullptr;
    context->ev.addRead = nullptr;
    context->ev.delRead = nullptr;
    context->ev.addWrite = nullptr;
    context->ev.delWrite = nullptr;
    context->ev.cleanup = nullptr;
    try {
      watch->descriptor_.release();
    } catch (const std::exception&) {
      // Releasing only deregisters from the reactor; there is nothing left to undo.
    }
  }

  // One wait per direction at a time; Asio re-arms the edge-triggered registration on every
  // new wait, so readiness left over from an earlier event is reported again.
  void arm(stream_descriptor::wait_type type) {
    bool& armed = type == stream_descriptor::wait_read ? read_armed_ : write_armed_;
    if (armed || context_ == nullptr) return;
    armed = true;
    descriptor_.async_wait(
        type, boost::asio::bind_executor(strand_, [self = shared_from_this(),
                                                   type](const boost::system::error_code& error) {
          self->on_ready(type, error);
        }));
  }

  void on_ready(stream_descriptor::wait_type type, const boost::system::error_code& error) {
    std::shared_ptr<void> owner = owner_.lock();
    if (!owner) return;
    const bool reading = type == stream_descriptor::wait_read;
    (reading ? read_armed_ : write_armed_) = false;
    if (context_ == nullptr || error == boost::asio::error::operation_aborted) return;
    // Any other error is the socket's: hiredis's own read or write will report it.
    if (reading && want_read_) {
      redisAsyncHandleRead(context_);
    } else if (!reading && want_write_) {
      redisAsyncHandleWrite(context_);
    }
  }

  redisAsyncContext* context_;
  Strand strand_;
  stream_descriptor descriptor_;
  std::weak_ptr<void> owner_;
  std::shared_ptr<SocketWatch> self_;
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
};

}  // namespace

bool attach_to_strand(redisAsyncContext* context, Strand strand, std::weak_ptr<void> owner) {
  if (context == nullptr || context->ev.data != nullptr) return false;
  std::shared_ptr<SocketWatch> watch;
  try {
    watch = std::make_shared<SocketWatch>(context, std::move(strand), std::move(owner));
  } catch (const std::exception&) {
    return false;
  }
  watch->install(watch);
  return true;
}

}  // namespace frontdoor::redis
