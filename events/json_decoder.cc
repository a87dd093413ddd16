// Decoding runs in two passes over one simdjson on-demand document:
//  1. validate(): walks every value once, so that malformed JSON anywhere (also
//     inside fields we ignore) is invalid_json, and trailing data is caught;
//  2. the typed read: the document is rewound and each expected member is
//     looked up with find_field_unordered (unknown members are skipped; of
//     duplicate keys, the one found first from the cursor wins). The envelope
//     is read here; the field readers and per-type payloads are in
//     payload_decoder.h.
// Rejections are values: every reader returns false after recording exactly
// one Rejection, and the caller returns immediately.
#include "events/json_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "events/payload_decoder.h"
#include "events/text_rules.h"

namespace carelog {
namespace {

namespace od = simdjson::ondemand;
using decoding::FieldReader;
using decoding::make_rejection;
using decoding::read_payload;

constexpr size_t kMaxEventIdChars = 128;
constexpr size_t kMaxSellerIdChars = 64;
constexpr int kMaxDepth = 64;  // deeper nesting is refused as invalid_json

// ---- pass 1: full validation -------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_json_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view t) {
  while (!t.empty() && is_json_blank(t.front())) t.remove_prefix(1);
  while (!t.empty() && is_json_blank(t.back())) t.remove_suffix(1);
  return t;
}

// RFC 8259 number grammar on a raw token (which may carry trailing blanks).
bool valid_number_token(std::string_view t) {
  t = trim(t);
  size_t i = 0;
  auto run = [&] {
    const size_t start = i;
    while (i < t.size() && is_digit(t[i])) ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!run()) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!run()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!run()) return false;
  }
  return i == t.size();
}

// Also stops at an object's second member of the same (unescaped) name,
// which it names in `duplicate`: which of two values a reader takes differs
// between JSON libraries, so such a record means nothing certain.
int64_t wall_clock_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

simdjson::error_code validate(od::value value, int depth, std::string& duplicate) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto e = value.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto e = value.get_object().get(object)) return e;
      // (Unescaped keys stay in the parser's string buffer for the document's
      // life. An envelope's objects have a handful of members: the first
      // kInline are compared in place, without an allocation.)
      constexpr size_t kInline = 24;
      std::array<std::string_view, kInline> inline_keys;
      std::vector<std::string_view> more_keys;
      size_t count = 0;
      for (auto member : object) {
        od::field field;
        if (auto e = std::move(member).get(field)) return e;
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        const auto inline_end = inline_keys.begin() + std::min(count, kInline);
        if (std::find(inline_keys.begin(), inline_end, key) != inline_end ||
            std::find(more_keys.begin(), more_keys.end(), key) != more_keys.end()) {
          duplicate = std::string(key);
          return simdjson::INCORRECT_TYPE;
        }
        if (count < kInline) {
          inline_keys[count] = key;
        } else {
          more_keys.push_back(key);
        }
        ++count;
        if (auto e = validate(field.value(), depth + 1, duplicate)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto e = value.get_array().get(array)) return e;
      for (auto element : array) {
        od::value v;
        if (auto e = std::move(element).get(v)) return e;
        if (auto e = validate(v, depth + 1, duplicate)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return value.get_string().get(s);
    }
    case od::json_type::number: {
      std::string_view token = value.raw_json_token();
      return valid_number_token(token) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    }
    case od::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = value.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

// ---- pass 2: typed reads -----------------------------------------------------

// The envelope members, in the order the spec lists them.
bool read_envelope(FieldReader& r, const DecoderOptions& options,
                   std::optional<std::string_view> key, Event& e) {
  std::string_view s;
  bool present;
  if (!r.string("event_id", true, s, present)) return false;
  if (!text::event_id_chars(s))
    return r.fail(reject::kInvalidId, "event_id", "expected printable ASCII");
  if (s.empty() || s.size() > kMaxEventIdChars) {
    return r.fail(reject::kInvalidLength, "event_id", "expected 1..128 characters");
  }
  e.event_id = std::string(s);

  if (!r.string("type", true, s, present)) return false;
  EventType type;
  if (!parse_enum(s, type)) {
    return r.fail(reject::kUnknownType, "type",
                  "\"" + std::string(s) + "\" is not a known event type");
  }
  if (type == EventType::kNotificationRequested && !options.allow_derived_types) {
    return r.fail(reject::kReservedType, "type",
                  "notification.requested is emitted by the engine only");
  }

  if (!r.time("occurred_at", e.occurred_at)) return false;
  {
    // One event stamped in the future would move its seller's default
    // as_of there: beyond the allowed skew past the engine's clock, rejected.
    const int64_t now = options.now_micros ? options.now_micros() : wall_clock_micros();
    if (e.occurred_at.micros > now + options.max_future_micros) {
      return r.fail(reject::kFutureTime, "occurred_at",
                    "later than the engine's clock by more than " +
                        std::to_string(options.max_future_micros / 1'000'000) + " s");
    }
  }

  if (!r.string("seller_id", true, s, present)) return false;
  if (!text::seller_id_chars(s))
    return r.fail(reject::kInvalidId, "seller_id", "expected [A-Za-z0-9_-]");
  if (s.empty() || s.size() > kMaxSellerIdChars) {
    return r.fail(reject::kInvalidLength, "seller_id", "expected 1..64 characters");
  }
  if (key && *key != s) {
    return r.fail(reject::kKeyMismatch, "seller_id",
                  "differs from the record key \"" + std::string(*key) + "\"");
  }
  e.seller_id = std::string(s);

  if (!r.string("marketplace", true, s, present)) return false;
  if (std::find(options.marketplaces.begin(), options.marketplaces.end(), s) ==
      options.marketplaces.end()) {
    return r.fail(reject::kInvalidMarketplace, "marketplace",
                  "\"" + std::string(s) + "\" is not a configured marketplace");
  }
  e.marketplace = std::string(s);

  // Absent: version 0, the pre-v1 form. Null is not a version.
  int64_t version = 0;
  if (!r.int64("schema_version", false, version, present, /*null_is_absent=*/false)) return false;
  if (version < 0) return r.fail(reject::kOutOfRange, "schema_version", "must not be negative");
  if (version > kCurrentSchemaVersion) {
    return r.fail(reject::kUnsupportedSchema, "schema_version",
                  "version " + std::to_string(version) + " is newer than " +
                      std::to_string(kCurrentSchemaVersion));
  }

  od::value v;
  if (!r.find("data", true, v, present, /*null_is_absent=*/false)) return false;
  od::object data;
  if (v.get_object().get(data)) return r.fail(reject::kNotObject, "data", "expected an object");
  FieldReader data_reader(data, "data", r.rejection());
  if (!read_payload(type, data_reader, static_cast<int32_t>(version), e.data)) {
    return false;
  }
  e.schema_version = kCurrentSchemaVersion;  // upcast done
  return true;
}

}  // namespace

struct JsonDecoder::Impl {
  DecoderOptions options;
  od::parser parser;
  std::vector<char> buffer;  // the record plus SIMDJSON_PADDING, reused across calls
};

JsonDecoder::JsonDecoder(DecoderOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

JsonDecoder::~JsonDecoder() = default;

Result<Event> JsonDecoder::decode(std::string_view bytes, std::optional<std::string_view> key) {
  const DecoderOptions& options = impl_->options;
  if (bytes.size() > options.max_record_bytes) {
    return make_rejection(reject::kTooLarge, "",
                          "record of " + std::to_string(bytes.size()) + " bytes exceeds " +
                              std::to_string(options.max_record_bytes));
  }
  if (!text::valid_utf8(bytes)) return make_rejection(reject::kInvalidUtf8, "", "not valid UTF-8");

  std::vector<char>& buffer = impl_->buffer;
  if (buffer.size() < bytes.size() + simdjson::SIMDJSON_PADDING) {
    buffer.resize(bytes.size() + simdjson::SIMDJSON_PADDING);
  }
  std::memcpy(buffer.data(), bytes.data(), bytes.size());
  std::memset(buffer.data() + bytes.size(), 0, simdjson::SIMDJSON_PADDING);

  od::document doc;
  if (impl_->parser.iterate(buffer.data(), bytes.size(), buffer.size()).get(doc)) {
    return make_rejection(reject::kInvalidJson, "", "not valid JSON");
  }

  // Pass 1: the whole document is valid JSON, and nothing follows it.
  od::json_type root_type;
  if (doc.type().get(root_type)) return make_rejection(reject::kInvalidJson, "", "not valid JSON");
  if (root_type == od::json_type::object || root_type == od::json_type::array) {
    od::value root;
    std::string duplicate;
    if (doc.get_value().get(root) || validate(root, 0, duplicate)) {
      if (!duplicate.empty()) {
        return make_rejection(reject::kDuplicateKey, duplicate.substr(0, 128),
                              "the member \"" + duplicate.substr(0, 128) + "\" appears twice in one object");
      }
      return make_rejection(reject::kInvalidJson, "", "not valid JSON");
    }
    if (!doc.current_location().error()) {  // a location past the root value exists
      return make_rejection(reject::kInvalidJson, "", "trailing data after the JSON value");
    }
  } else {
    // Scalar documents: the token must be the whole document, blanks aside.
    std::string_view token;
    simdjson::error_code error = doc.raw_json_token().get(token);
    if (!error && trim(token) != trim(bytes)) error = simdjson::TRAILING_CONTENT;
    doc.rewind();
    if (error) {
      // reported below
    } else if (root_type == od::json_type::string) {
      error = doc.get_string().error();
    } else if (root_type == od::json_type::number) {
      if (!valid_number_token(token)) error = simdjson::NUMBER_ERROR;
    } else if (root_type == od::json_type::boolean) {
      error = doc.get_bool().error();
    } else {
      bool is_null = false;
      error = doc.is_null().get(is_null);
      if (!error && !is_null) error = simdjson::N_ATOM_ERROR;
    }
    if (error) return make_rejection(reject::kInvalidJson, "", "not valid JSON");
  }
  if (root_type != od::json_type::object) {
    return make_rejection(reject::kNotObject, "", "the record must be a JSON object");
  }

  // Pass 2: the typed read.
  doc.rewind();
  od::object root;
  if (doc.get_object().get(root)) return make_rejection(reject::kInvalidJson, "", "not valid JSON");
  Rejection rejection;
  FieldReader reader(root, "", rejection);
  Event event;
  if (!read_envelope(reader, options, key, event)) return rejection;
  return event;
}

}  // namespace carelog
