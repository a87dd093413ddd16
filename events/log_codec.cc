// Layout of a log record: one format byte (kFormatVersion), then the Event in
// cereal's portable binary archive. Strings, vectors and optionals use the
// same wire form as cereal/types/{string,vector,optional}.hpp (a 64-bit size
// or presence flag, then the contents); they are read by the bounded helpers
// below instead, so that a corrupt size cannot make us allocate gigabytes
// before the read fails. The payload variant uses cereal/types/variant.hpp
// (32-bit alternative index, then the payload).
#include "events/log_codec.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/variant.hpp>
#include <istream>
#include <ostream>
#include <streambuf>
#include <type_traits>

namespace carelog {
namespace {

constexpr char kFormatVersion = 1;

// The length of the record being loaded on this thread, set by decode_binary
// for the duration of one load: no size read from a record may exceed it.
// (cereal's UserDataAdapter would carry it, but is still experimental in 1.3.)
thread_local uint64_t t_record_bytes = 0;

void check_size(uint64_t size) {
  if (size > t_record_bytes) throw cereal::Exception("size prefix exceeds the record");
}

// One overload per kind of member; all declared before any is defined so that
// nested kinds (an optional vector of strings) resolve to the right one.
template <class Archive>
void field(Archive& ar, std::string& s);
template <class Archive, class T>
void field(Archive& ar, std::optional<T>& opt);
template <class Archive, class T>
void field(Archive& ar, std::vector<T>& v);
template <class Archive>
void field(Archive& ar, bool& b);
template <class Archive, class T>
void field(Archive& ar, T& value);

template <class Archive>
void field(Archive& ar, std::string& s) {
  uint64_t size = s.size();
  ar(cereal::make_size_tag(size));
  if constexpr (Archive::is_loading::value) {
    check_size(size);
    s.resize(size);
  }
  ar(cereal::binary_data(s.data(), s.size()));
}

// A bool is one byte, 0 or 1 (as cereal writes it); any other byte is
// corruption, and is never loaded into a bool directly (that would be UB).
template <class Archive>
void field(Archive& ar, bool& b) {
  uint8_t byte = b ? 1 : 0;
  ar(byte);
  if constexpr (Archive::is_loading::value) {
    if (byte > 1) throw cereal::Exception("bool byte out of range");
    b = byte == 1;
  }
}

template <class Archive, class T>
void field(Archive& ar, std::optional<T>& opt) {
  bool present = opt.has_value();
  field(ar, present);
  if constexpr (Archive::is_loading::value) {
    if (!present) {
      opt.reset();
      return;
    }
    opt.emplace();
  }
  if (present) field(ar, *opt);
}

template <class Archive, class T>
void field(Archive& ar, std::vector<T>& v) {
  uint64_t size = v.size();
  ar(cereal::make_size_tag(size));
  if constexpr (Archive::is_loading::value) {
    check_size(size);  // every element takes at least one byte
    v.resize(size);
  }
  for (T& element : v) field(ar, element);
}

// Enums travel as their uint8_t value; an unknown value on load is corruption.
template <class Archive, class T>
void field(Archive& ar, T& value) {
  if constexpr (std::is_enum_v<T>) {
    auto raw = static_cast<std::underlying_type_t<T>>(value);
    ar(raw);
    if constexpr (Archive::is_loading::value) {
      value = static_cast<T>(raw);
      if (to_string(value).empty()) throw cereal::Exception("enum value out of range");
    }
  } else {
    ar(value);  // integers and the structs below
  }
}

template <class Archive, class... Ts>
void fields(Archive& ar, Ts&... values) {
  (field(ar, values), ...);
}

}  // namespace

// cereal finds these by ADL. Members in declaration order; the order is the
// wire format, so it never changes (append new members only with a format bump).
template <class A>
void serialize(A& ar, Money& m) {
  fields(ar, m.cents, m.currency);
}
template <class A>
void serialize(A& ar, Timestamp& t) {
  fields(ar, t.micros, t.offset_minutes);
}
template <class A>
void serialize(A& ar, OrderItem& i) {
  fields(ar, i.sku, i.asin, i.title, i.quantity, i.item_price, i.category);
}
template <class A>
void serialize(A& ar, OrderPlaced& d) {
  fields(ar, d.order_id, d.buyer_id, d.items, d.latest_ship_date, d.latest_delivery_date);
}
template <class A>
void serialize(A& ar, OrderShipped& d) {
  fields(ar, d.order_id, d.tracking_id, d.carrier);
}
template <class A>
void serialize(A& ar, OrderDelivered& d) {
  fields(ar, d.order_id);
}
template <class A>
void serialize(A& ar, OrderCancelled& d) {
  fields(ar, d.order_id, d.cancelled_by, d.reason);
}
template <class A>
void serialize(A& ar, MessageReceived& d) {
  fields(ar, d.message_id, d.thread_id, d.buyer_id, d.buyer_alias, d.order_id, d.asin, d.subject,
         d.body, d.auto_reply);
}
template <class A>
void serialize(A& ar, MessageSent& d) {
  fields(ar, d.message_id, d.thread_id, d.in_reply_to, d.order_id, d.subject, d.body, d.sender);
}
template <class A>
void serialize(A& ar, MessageNoResponseNeeded& d) {
  fields(ar, d.message_id);
}
template <class A>
void serialize(A& ar, ReturnItem& i) {
  fields(ar, i.sku, i.asin, i.quantity);
}
template <class A>
void serialize(A& ar, ReturnRequested& d) {
  fields(ar, d.return_id, d.order_id, d.buyer_id, d.items, d.reason, d.comment, d.gift);
}
template <class A>
void serialize(A& ar, Address& a) {
  fields(ar, a.name, a.line1, a.line2, a.city, a.region, a.postal_code, a.country, a.phone);
}
template <class A>
void serialize(A& ar, ReturnAuthorized& d) {
  fields(ar, d.return_id, d.rma, d.return_address, d.label, d.authorized_by);
}
template <class A>
void serialize(A& ar, ReturnClosed& d) {
  fields(ar, d.return_id, d.close_reason, d.message, d.closed_by);
}
template <class A>
void serialize(A& ar, ReturnCancelled& d) {
  fields(ar, d.return_id);
}
template <class A>
void serialize(A& ar, ReturnItemReceived& d) {
  fields(ar, d.return_id, d.condition);
}
template <class A>
void serialize(A& ar, RefundIssued& d) {
  fields(ar, d.refund_id, d.order_id, d.return_id, d.amount, d.refund_kind, d.reason);
}
template <class A>
void serialize(A& ar, ClaimFiled& d) {
  fields(ar, d.claim_id, d.order_id, d.kind, d.reason);
}
template <class A>
void serialize(A& ar, ClaimDecided& d) {
  fields(ar, d.claim_id, d.outcome);
}
template <class A>
void serialize(A& ar, FeedbackReceived& d) {
  fields(ar, d.feedback_id, d.order_id, d.rating, d.comment);
}
template <class A>
void serialize(A& ar, ReturnSettingsChanged& d) {
  fields(ar, d.auto_authorize, d.return_window_days, d.return_address, d.email_action_links);
}
template <class A>
void serialize(A& ar, NotificationRequested& d) {
  fields(ar, d.to, d.template_name, d.return_id, d.message_id, d.action_links);
}
template <class A>
void serialize(A& ar, BuyerErasureRequested& d) {
  fields(ar, d.buyer_id);
}
template <class A>
void serialize(A& ar, Event& e) {
  fields(ar, e.event_id, e.occurred_at, e.seller_id, e.marketplace, e.schema_version);
  ar(e.data);  // cereal/types/variant.hpp
}

namespace {

// Appends everything written to it to a std::string.
class StringAppendBuf : public std::streambuf {
 public:
  void append_to(std::string& out) { out_ = &out; }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_->append(s, static_cast<size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) *out_ += traits_type::to_char_type(c);
    return traits_type::not_eof(c);
  }

 private:
  std::string* out_ = nullptr;
};

// Reads from a borrowed byte range without copying it.
class ViewBuf : public std::streambuf {
 public:
  void view(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // never written: get area only
    setg(begin, begin, begin + bytes.size());
  }
  size_t remaining() const { return static_cast<size_t>(egptr() - gptr()); }
};

// One stream of each kind per thread, aimed at each record in turn: building
// a std::istream (its locale and facet lookups) cost more than decoding a
// small record (docs/PERFORMANCE.md). Neither is used re-entrantly: no
// serialize() encodes or decodes a record itself.
struct RecordWriter {
  StringAppendBuf buf;
  std::ostream stream{&buf};
};
struct RecordReader {
  ViewBuf buf;
  std::istream stream{&buf};
};
thread_local RecordWriter t_writer;
thread_local RecordReader t_reader;

Rejection corrupt(std::string message) { return Rejection{"corrupt", "", std::move(message)}; }

}  // namespace

void encode_binary(const Event& event, std::string& out) {
  out += kFormatVersion;
  t_writer.buf.append_to(out);
  t_writer.stream.clear();
  cereal::PortableBinaryOutputArchive ar(t_writer.stream);
  // serialize() takes non-const references for loading; saving does not modify.
  ar(const_cast<Event&>(event));
}

std::string encode_binary(const Event& event) {
  std::string out;
  encode_binary(event, out);
  return out;
}

Result<Event> decode_binary(std::string_view bytes) {
  if (bytes.empty()) return corrupt("empty log record");
  if (bytes[0] != kFormatVersion) {
    return corrupt("unsupported log record format " +
                   std::to_string(static_cast<unsigned char>(bytes[0])));
  }
  bytes.remove_prefix(1);
  t_reader.buf.view(bytes);
  t_reader.stream.clear();
  Event event;
  t_record_bytes = bytes.size();
  try {
    cereal::PortableBinaryInputArchive ar(t_reader.stream);
    ar(event);
  } catch (const std::exception& e) {  // cereal::Exception, or bad_alloc/length_error
    return corrupt(std::string("undecodable log record: ") + e.what());
  }
  if (t_reader.buf.remaining() != 0) return corrupt("trailing bytes after the log record");
  return event;
}

}  // namespace carelog
