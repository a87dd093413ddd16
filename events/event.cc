#include "events/event.h"

#include <cstddef>

namespace carelog {
namespace {

// Each table lists the spec's string forms in enumerator order.
constexpr std::string_view kEventTypes[] = {
    "order.placed",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
    "message.received",
    "message.sent",
    "message.no_response_needed",
    "return.requested",
    "return.authorized",
    "return.closed",
    "return.cancelled",
    "return.item_received",
    "refund.issued",
    "claim.filed",
    "claim.decided",
    "feedback.received",
    "seller.return_settings_changed",
    "notification.requested",
    "buyer.erasure_requested",
};
static_assert(std::size(kEventTypes) == kEventTypeCount);
constexpr std::string_view kCancelledBy[] = {"buyer", "seller", "marketplace"};
constexpr std::string_view kSenders[] = {"seller", "seller_auto"};
constexpr std::string_view kReturnReasons[] = {
    "ordered_by_accident",  "better_price_available",
    "quality_not_adequate", "incompatible_or_not_useful",
    "damaged_box_intact",   "missed_estimated_delivery",
    "missing_parts",        "item_and_box_damaged",
    "wrong_item_sent",      "defective",
    "extra_item_received",  "no_longer_needed",
};
constexpr std::string_view kCloseReasons[] = {
    "technical_issue_resolved",   "refund_without_return",
    "replacement_without_return", "previously_refunded",
    "return_window_expired",      "cancelled_at_buyer_request",
    "duplicate_request",          "custom_item_not_returnable",
    "item_not_cared_for",         "media_opened",
    "grocery_not_returnable",
};
constexpr std::string_view kLabelKinds[] = {"unpaid", "prepaid", "none"};
constexpr std::string_view kAuthorizedBy[] = {"seller", "auto"};
constexpr std::string_view kClosedBy[] = {"seller", "buyer", "marketplace"};
constexpr std::string_view kRefundKinds[] = {"full", "partial"};
constexpr std::string_view kClaimKinds[] = {"a_to_z", "chargeback"};
constexpr std::string_view kClaimOutcomes[] = {"granted", "denied", "withdrawn"};
constexpr std::string_view kAutoAuthorize[] = {"off", "policy", "all"};
constexpr std::string_view kNotifyTo[] = {"buyer", "seller"};

// "" for a value outside the enumeration (only reachable through a cast).
template <class E, size_t N>
std::string_view name_of(E e, const std::string_view (&names)[N]) {
  const auto i = static_cast<size_t>(e);
  return i < N ? names[i] : std::string_view{};
}

template <class E, size_t N>
bool parse_name(std::string_view s, E& out, const std::string_view (&names)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) {
      out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

// The order an event's payload names, if any.
struct OrderIdOf {
  std::string_view operator()(const OrderPlaced& d) const { return d.order_id; }
  std::string_view operator()(const OrderShipped& d) const { return d.order_id; }
  std::string_view operator()(const OrderDelivered& d) const { return d.order_id; }
  std::string_view operator()(const OrderCancelled& d) const { return d.order_id; }
  std::string_view operator()(const MessageReceived& d) const {
    return d.order_id ? std::string_view(*d.order_id) : std::string_view{};
  }
  std::string_view operator()(const MessageSent& d) const {
    return d.order_id ? std::string_view(*d.order_id) : std::string_view{};
  }
  std::string_view operator()(const ReturnRequested& d) const { return d.order_id; }
  std::string_view operator()(const RefundIssued& d) const { return d.order_id; }
  std::string_view operator()(const ClaimFiled& d) const { return d.order_id; }
  std::string_view operator()(const FeedbackReceived& d) const { return d.order_id; }
  // Payloads that name no order.
  std::string_view operator()(const auto&) const { return {}; }
};

}  // namespace

#define CARELOG_ENUM_NAMES(Enum, table)                            \
  std::string_view to_string(Enum e) { return name_of(e, table); } \
  bool parse_enum(std::string_view s, Enum& out) { return parse_name(s, out, table); }

CARELOG_ENUM_NAMES(EventType, kEventTypes)
CARELOG_ENUM_NAMES(CancelledBy, kCancelledBy)
CARELOG_ENUM_NAMES(Sender, kSenders)
CARELOG_ENUM_NAMES(ReturnReason, kReturnReasons)
CARELOG_ENUM_NAMES(CloseReason, kCloseReasons)
CARELOG_ENUM_NAMES(LabelKind, kLabelKinds)
CARELOG_ENUM_NAMES(AuthorizedBy, kAuthorizedBy)
CARELOG_ENUM_NAMES(ClosedBy, kClosedBy)
CARELOG_ENUM_NAMES(RefundKind, kRefundKinds)
CARELOG_ENUM_NAMES(ClaimKind, kClaimKinds)
CARELOG_ENUM_NAMES(ClaimOutcome, kClaimOutcomes)
CARELOG_ENUM_NAMES(AutoAuthorize, kAutoAuthorize)
CARELOG_ENUM_NAMES(NotifyTo, kNotifyTo)

#undef CARELOG_ENUM_NAMES

std::string_view order_id_of(const Event& event) { return std::visit(OrderIdOf{}, event.data); }

}  // namespace carelog
