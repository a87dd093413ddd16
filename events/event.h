// The v1 event model of spec/events.md as plain C++ values.
//
// An Event is an Envelope (the fields every event has) plus one typed payload.
// Values here are already validated: the decoder (json_decoder.h) is the only
// producer of Events from bytes, and it enforces every field rule. Money is
// integer cents; times are UTC microseconds plus the writer's UTC offset so the
// original instant and its rendering both survive a round trip.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace carelog {

struct Money {
  int64_t cents = 0;     // amount * 100, never a float
  std::string currency;  // ISO 4217, three upper-case letters
  bool operator==(const Money&) const = default;
};

struct Timestamp {
  int64_t micros = 0;          // since 1970-01-01T00:00:00Z
  int32_t offset_minutes = 0;  // the writer's offset (+01:00 -> 60); Z -> 0
  bool operator==(const Timestamp&) const = default;
  auto operator<=>(const Timestamp& o) const { return micros <=> o.micros; }
};

// ---- enums (string forms are exactly those of the spec) ----
enum class EventType : uint8_t {
  kOrderPlaced, kOrderShipped, kOrderDelivered, kOrderCancelled,
  kMessageReceived, kMessageSent, kMessageNoResponseNeeded,
  kReturnRequested, kReturnAuthorized, kReturnClosed, kReturnCancelled,
  kReturnItemReceived, kRefundIssued,
  kClaimFiled, kClaimDecided, kFeedbackReceived, kReturnSettingsChanged,
  kNotificationRequested,  // derived only: emitted by the engine
  kBuyerErasureRequested,  // a buyer's right to erasure (engine/erasure.h)
};
inline constexpr int kEventTypeCount = 19;

enum class CancelledBy : uint8_t { kBuyer, kSeller, kMarketplace };
enum class Sender : uint8_t { kSeller, kSellerAuto };
enum class ReturnReason : uint8_t {  // the seed's list, in order
  kOrderedByAccident, kBetterPriceAvailable, kQualityNotAdequate,
  kIncompatibleOrNotUseful, kDamagedBoxIntact, kMissedEstimatedDelivery,
  kMissingParts, kItemAndBoxDamaged, kWrongItemSent, kDefective,
  kExtraItemReceived, kNoLongerNeeded,
};
enum class CloseReason : uint8_t {  // the seed's list, in order
  kTechnicalIssueResolved, kRefundWithoutReturn, kReplacementWithoutReturn,
  kPreviouslyRefunded, kReturnWindowExpired, kCancelledAtBuyerRequest,
  kDuplicateRequest, kCustomItemNotReturnable, kItemNotCaredFor, kMediaOpened,
  kGroceryNotReturnable,
};
enum class LabelKind : uint8_t { kUnpaid, kPrepaid, kNone };
enum class AuthorizedBy : uint8_t { kSeller, kAuto };
enum class ClosedBy : uint8_t { kSeller, kBuyer, kMarketplace };
enum class RefundKind : uint8_t { kFull, kPartial };
enum class ClaimKind : uint8_t { kAToZ, kChargeback };
enum class ClaimOutcome : uint8_t { kGranted, kDenied, kWithdrawn };
enum class AutoAuthorize : uint8_t { kOff, kPolicy, kAll };
enum class NotifyTo : uint8_t { kBuyer, kSeller };

// ---- payloads ----
struct OrderItem {
  std::string sku, asin, title;
  int32_t quantity = 1;  // >= 1
  Money item_price;
  std::string category;
  bool operator==(const OrderItem&) const = default;
};
struct OrderPlaced {
  std::string order_id, buyer_id;
  std::vector<OrderItem> items;  // at least one
  Timestamp latest_ship_date, latest_delivery_date;
  bool operator==(const OrderPlaced&) const = default;
};
struct OrderShipped {
  std::string order_id;
  std::optional<std::string> tracking_id, carrier;
  bool operator==(const OrderShipped&) const = default;
};
struct OrderDelivered {
  std::string order_id;
  bool operator==(const OrderDelivered&) const = default;
};
struct OrderCancelled {
  std::string order_id;
  CancelledBy cancelled_by = CancelledBy::kBuyer;
  std::optional<std::string> reason;
  bool operator==(const OrderCancelled&) const = default;
};
struct MessageReceived {
  std::string message_id, thread_id, buyer_id, buyer_alias;
  std::optional<std::string> order_id, asin;
  std::string subject;  // <= 200 code points
  std::string body;     // <= 16000 code points
  bool auto_reply = false;
  bool operator==(const MessageReceived&) const = default;
};
struct MessageSent {
  std::string message_id, thread_id;
  std::optional<std::string> in_reply_to, order_id, subject;
  std::string body;  // 1..4000 code points
  Sender sender = Sender::kSeller;
  bool operator==(const MessageSent&) const = default;
};
struct MessageNoResponseNeeded {
  std::string message_id;
  bool operator==(const MessageNoResponseNeeded&) const = default;
};
struct ReturnItem {
  std::string sku, asin;
  int32_t quantity = 1;  // >= 1
  bool operator==(const ReturnItem&) const = default;
};
struct ReturnRequested {
  std::string return_id, order_id, buyer_id;
  std::vector<ReturnItem> items;  // at least one
  ReturnReason reason = ReturnReason::kDefective;
  std::optional<std::string> comment;  // <= 200 code points
  bool gift = false;
  bool operator==(const ReturnRequested&) const = default;
};
struct Address {
  std::string name, line1;
  std::optional<std::string> line2;
  std::string city;
  std::optional<std::string> region;
  std::string postal_code;
  std::string country;  // ISO 3166 alpha-2
  std::optional<std::string> phone;
  bool operator==(const Address&) const = default;
};
struct ReturnAuthorized {
  std::string return_id;
  std::string rma;  // 1..32
  Address return_address;
  LabelKind label = LabelKind::kUnpaid;
  AuthorizedBy authorized_by = AuthorizedBy::kSeller;
  bool operator==(const ReturnAuthorized&) const = default;
};
struct ReturnClosed {
  std::string return_id;
  CloseReason close_reason = CloseReason::kTechnicalIssueResolved;
  std::optional<std::string> message;  // <= 1000 code points
  ClosedBy closed_by = ClosedBy::kSeller;
  bool operator==(const ReturnClosed&) const = default;
};
struct ReturnCancelled {
  std::string return_id;
  bool operator==(const ReturnCancelled&) const = default;
};
struct ReturnItemReceived {
  std::string return_id;
  std::optional<std::string> condition;
  bool operator==(const ReturnItemReceived&) const = default;
};
struct RefundIssued {
  std::string refund_id, order_id;
  std::optional<std::string> return_id;
  Money amount;
  RefundKind refund_kind = RefundKind::kFull;
  std::optional<std::string> reason;
  bool operator==(const RefundIssued&) const = default;
};
struct ClaimFiled {
  std::string claim_id, order_id;
  ClaimKind kind = ClaimKind::kAToZ;
  std::optional<std::string> reason;
  bool operator==(const ClaimFiled&) const = default;
};
struct ClaimDecided {
  std::string claim_id;
  ClaimOutcome outcome = ClaimOutcome::kGranted;
  bool operator==(const ClaimDecided&) const = default;
};
struct FeedbackReceived {
  std::string feedback_id, order_id;
  int32_t rating = 5;  // 1..5
  std::optional<std::string> comment;  // <= 1000 code points
  bool operator==(const FeedbackReceived&) const = default;
};
struct ReturnSettingsChanged {
  AutoAuthorize auto_authorize = AutoAuthorize::kOff;
  int32_t return_window_days = 30;  // 1..365
  Address return_address;
  bool email_action_links = false;
  bool operator==(const ReturnSettingsChanged&) const = default;
};
struct NotificationRequested {
  NotifyTo to = NotifyTo::kSeller;
  std::string template_name;  // JSON field "template"
  std::optional<std::string> return_id, message_id;
  std::optional<std::vector<std::string>> action_links;
  bool operator==(const NotificationRequested&) const = default;
};

// A buyer asked the marketplace to erase their data: the engine destroys the
// buyer's key (engine/buyer_vault.h) once this event is in the log.
struct BuyerErasureRequested {
  std::string buyer_id;
  bool operator==(const BuyerErasureRequested&) const = default;
};

// Alternative index i holds the payload of EventType(i).
using EventData =
    std::variant<OrderPlaced, OrderShipped, OrderDelivered, OrderCancelled,
                 MessageReceived, MessageSent, MessageNoResponseNeeded,
                 ReturnRequested, ReturnAuthorized, ReturnClosed,
                 ReturnCancelled, ReturnItemReceived, RefundIssued, ClaimFiled,
                 ClaimDecided, FeedbackReceived, ReturnSettingsChanged,
                 NotificationRequested, BuyerErasureRequested>;
static_assert(std::variant_size_v<EventData> == kEventTypeCount);

inline constexpr int32_t kCurrentSchemaVersion = 1;

struct Event {
  std::string event_id;     // 1..128 printable ASCII
  Timestamp occurred_at;
  std::string seller_id;    // 1..64 of [A-Za-z0-9_-]
  std::string marketplace;  // e.g. "FR"
  int32_t schema_version = kCurrentSchemaVersion;  // after upcasting: current
  EventData data;

  EventType type() const { return static_cast<EventType>(data.index()); }
  bool operator==(const Event&) const = default;
};

// ---- string forms ("order.placed", "a_to_z", ...) ----
std::string_view to_string(EventType);
std::string_view to_string(CancelledBy);
std::string_view to_string(Sender);
std::string_view to_string(ReturnReason);
std::string_view to_string(CloseReason);
std::string_view to_string(LabelKind);
std::string_view to_string(AuthorizedBy);
std::string_view to_string(ClosedBy);
std::string_view to_string(RefundKind);
std::string_view to_string(ClaimKind);
std::string_view to_string(ClaimOutcome);
std::string_view to_string(AutoAuthorize);
std::string_view to_string(NotifyTo);
// Parse the string form; false when `s` is not one of the spec's values.
bool parse_enum(std::string_view s, EventType& out);
bool parse_enum(std::string_view s, CancelledBy& out);
bool parse_enum(std::string_view s, Sender& out);
bool parse_enum(std::string_view s, ReturnReason& out);
bool parse_enum(std::string_view s, CloseReason& out);
bool parse_enum(std::string_view s, LabelKind& out);
bool parse_enum(std::string_view s, AuthorizedBy& out);
bool parse_enum(std::string_view s, ClosedBy& out);
bool parse_enum(std::string_view s, RefundKind& out);
bool parse_enum(std::string_view s, ClaimKind& out);
bool parse_enum(std::string_view s, ClaimOutcome& out);
bool parse_enum(std::string_view s, AutoAuthorize& out);
bool parse_enum(std::string_view s, NotifyTo& out);

// The order id, return id, etc. an event refers to, if any ("" when none).
std::string_view order_id_of(const Event&);

}  // namespace carelog
