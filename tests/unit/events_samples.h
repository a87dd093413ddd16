// Realistic envelopes of every event type (the seed's domain: seller
// A2SELLER0001 on amazon.fr, order 403-9930700-9360319, RMA DYrkY0qDRR),
// shared by the events/ tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace carelog::testing {

inline constexpr std::string_view kSeller = "A2SELLER0001";
inline constexpr std::string_view kOrderId = "403-9930700-9360319";
inline constexpr std::string_view kOccurredAt = "2013-01-07T19:36:31+01:00";
inline constexpr int64_t kOccurredAtMicros = 1357583791000000;  // 18:36:31Z

struct Sample {
  std::string type;
  std::string data;  // the JSON of the `data` member
};

// One envelope around `data`, with the given schema_version member (or none
// when `schema_version` is empty) and optional extra envelope members.
inline std::string sample_envelope(std::string_view type, std::string_view data,
                                   std::string_view schema_version = "1",
                                   std::string_view event_id = "evt-0001") {
  std::string out = "{\"event_id\":\"" + std::string(event_id) + "\",\"type\":\"" +
                    std::string(type) + "\",\"occurred_at\":\"" + std::string(kOccurredAt) +
                    "\",\"seller_id\":\"" + std::string(kSeller) + "\",\"marketplace\":\"FR\",";
  if (!schema_version.empty()) out += "\"schema_version\":" + std::string(schema_version) + ",";
  out += "\"data\":" + std::string(data) + "}";
  return out;
}

inline constexpr std::string_view kAddress =
    R"({"name":"Entrepôt Retours A2","line1":"12 rue de la Logistique","line2":"Bâtiment C",)"
    R"("city":"Lyon","region":"Auvergne-Rhône-Alpes","postal_code":"69007","country":"FR",)"
    R"("phone":"+33 4 72 00 00 00"})";

// Every one of the 18 types, in EventType order.
inline std::vector<Sample> all_samples() {
  const std::string address(kAddress);
  return {
      {"order.placed",
       R"({"order_id":"403-9930700-9360319","buyer_id":"BUYER-7781","items":[)"
       R"({"sku":"MUG-BLEU-01","asin":"B00A1B2C3D","title":"Tasse en céramique bleue","quantity":2,)"
       R"("item_price":{"amount":"12.50","currency":"EUR"},"category":"kitchen"},)"
       R"({"sku":"GUIDE-FR","asin":"B00Z9Y8X7W","title":"Guide du vendeur","quantity":1,)"
       R"("item_price":{"amount":"9.9","currency":"EUR"},"category":"media"}],)"
       R"("latest_ship_date":"2013-01-09T19:36:31+01:00","latest_delivery_date":"2013-01-14T23:59:59+01:00"})"},
      {"order.shipped",
       R"({"order_id":"403-9930700-9360319","tracking_id":"6A12345678901","carrier":"Colissimo"})"},
      {"order.delivered", R"({"order_id":"403-9930700-9360319"})"},
      {"order.cancelled",
       R"({"order_id":"403-9930700-9360319","cancelled_by":"buyer","reason":"Commande passée par erreur"})"},
      {"message.received",
       R"({"message_id":"MSG-IN-0001","thread_id":"THR-0001","buyer_id":"BUYER-7781",)"
       R"("buyer_alias":"x8k2mq7v@marketplace.amazon.fr","order_id":"403-9930700-9360319",)"
       R"("asin":"B00A1B2C3D","subject":"Question sur ma commande",)"
       R"("body":"Bonjour,\nla tasse est arrivée fêlée. Que faire ?\nMerci","auto_reply":false})"},
      {"message.sent",
       R"({"message_id":"MSG-OUT-0001","thread_id":"THR-0001","in_reply_to":"MSG-IN-0001",)"
       R"("order_id":"403-9930700-9360319","subject":"RE: Question sur ma commande",)"
       R"("body":"Bonjour, nous sommes désolés. Veuillez demander un retour.","sender":"seller"})"},
      {"message.no_response_needed", R"({"message_id":"MSG-IN-0002"})"},
      {"return.requested",
       R"({"return_id":"RET-0001","order_id":"403-9930700-9360319","buyer_id":"BUYER-7781",)"
       R"("items":[{"sku":"MUG-BLEU-01","asin":"B00A1B2C3D","quantity":1}],)"
       R"("reason":"item_and_box_damaged","comment":"Arrivée fêlée, carton écrasé","gift":false})"},
      {"return.authorized", R"({"return_id":"RET-0001","rma":"DYrkY0qDRR","return_address":)" +
                                address + R"(,"label":"prepaid","authorized_by":"seller"})"},
      {"return.closed",
       R"({"return_id":"RET-0001","close_reason":"refund_without_return",)"
       R"("message":"Remboursé sans retour, gardez l'article.","closed_by":"seller"})"},
      {"return.cancelled", R"({"return_id":"RET-0002"})"},
      {"return.item_received", R"({"return_id":"RET-0001","condition":"damaged"})"},
      {"refund.issued",
       R"({"refund_id":"RFD-0001","order_id":"403-9930700-9360319","return_id":"RET-0001",)"
       R"("amount":{"amount":"12.50","currency":"EUR"},"refund_kind":"partial","reason":"item_and_box_damaged"})"},
      {"claim.filed",
       R"({"claim_id":"CLM-0001","order_id":"403-9930700-9360319","kind":"a_to_z","reason":"not received"})"},
      {"claim.decided", R"({"claim_id":"CLM-0001","outcome":"denied"})"},
      {"feedback.received",
       R"({"feedback_id":"FB-0001","order_id":"403-9930700-9360319","rating":4,)"
       R"("comment":"Vendeur réactif, retour simple."})"},
      {"seller.return_settings_changed",
       R"({"auto_authorize":"policy","return_window_days":30,"return_address":)" + address +
           R"(,"email_action_links":true})"},
      {"notification.requested",
       R"({"to":"seller","template":"return_request_submitted","return_id":"RET-0001",)"
       R"("action_links":["https://sellercentral.amazon.fr/returns/authorize?id=RET-0001",)"
       R"("https://sellercentral.amazon.fr/returns/close?id=RET-0001"]})"},
      {"buyer.erasure_requested", R"({"buyer_id":"BUYER-DIENGOUDI"})"},
  };
}

}  // namespace carelog::testing
