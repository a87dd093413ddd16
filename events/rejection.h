// Why an event was refused. `code` is stable and machine-readable (it is
// exported as a Prometheus label and a Kafka header); `field` is the JSON path
// of the offending field ("data.items[0].quantity"), empty when none applies.
#pragma once

#include <string>

namespace carelog {

struct Rejection {
  std::string code;
  std::string field;
  std::string message;
  bool operator==(const Rejection&) const = default;
};

// The codes. Decoder (events/) codes:
namespace reject {
inline constexpr const char* kInvalidJson = "invalid_json";        // not JSON, or trailing data
inline constexpr const char* kNotObject = "not_object";            // value/data is not an object
inline constexpr const char* kTooLarge = "too_large";              // record over the size limit
inline constexpr const char* kInvalidUtf8 = "invalid_utf8";
inline constexpr const char* kMissingField = "missing_field";
inline constexpr const char* kWrongType = "wrong_type";            // e.g. string expected
inline constexpr const char* kUnknownType = "unknown_type";        // "type" not in the spec
inline constexpr const char* kReservedType = "reserved_type";      // derived-only type from a producer
inline constexpr const char* kInvalidEnum = "invalid_enum";
inline constexpr const char* kInvalidLength = "invalid_length";    // code points out of range
inline constexpr const char* kInvalidId = "invalid_id";            // event_id / seller_id charset
inline constexpr const char* kInvalidOrderId = "invalid_order_id"; // not 3-7-7 digits
inline constexpr const char* kInvalidTime = "invalid_time";        // not RFC 3339 with offset, or before 1970
inline constexpr const char* kFutureTime = "future_time";          // occurred_at past the clock + the skew
inline constexpr const char* kDuplicateKey = "duplicate_key";      // a member twice in one object
inline constexpr const char* kInvalidMoney = "invalid_money";
inline constexpr const char* kOutOfRange = "out_of_range";         // numbers (quantity, rating, ...)
inline constexpr const char* kInvalidMarketplace = "invalid_marketplace";
inline constexpr const char* kUnsupportedSchema = "unsupported_schema_version";
inline constexpr const char* kKeyMismatch = "key_mismatch";        // seller_id != record key
// Engine (domain rule) codes:
inline constexpr const char* kIdConflict = "event_id_conflict";    // same id, other content
inline constexpr const char* kUnknownOrder = "unknown_order";
inline constexpr const char* kUnknownMessage = "unknown_message";
inline constexpr const char* kUnknownReturn = "unknown_return";
inline constexpr const char* kUnknownClaim = "unknown_claim";
inline constexpr const char* kDuplicateEntity = "duplicate_entity";  // order/return/... id reused
inline constexpr const char* kReturnTerminal = "return_terminal";    // closed/cancelled/completed
inline constexpr const char* kReturnAlreadyActed = "return_already_acted";
inline constexpr const char* kAlreadyAuthorized = "already_authorized";
inline constexpr const char* kRefundExceedsPaid = "refund_exceeds_paid";
inline constexpr const char* kOrderState = "order_state";            // e.g. shipping a cancelled order
inline constexpr const char* kClaimDecided = "claim_already_decided";
}  // namespace reject

}  // namespace carelog
