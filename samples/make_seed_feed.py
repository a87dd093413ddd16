#!/usr/bin/env python3
"""Writes samples/seed-feed.jsonl: seller A2SELLER0001 of the seed's Seller
Central screens (shared/seed), as events.

- Buyer messages and replies whose response-time table at 2013-01-10T12:00Z
  (the seller's newest event, hence the default as_of) is the seed's:
  7 days 50% (1) / 50% (1) / 0 / 1 / 1 day 14 hours; 30 days 78% (14) /
  22% (4) / 0 / 4 / 13 hours 4 minutes; 90 days 76% (26) / 24% (8) / 0 / 8 /
  17 hours; 0 unanswered in the last 7 days. Plus what must not count: a
  buyer's out-of-office, an auto-responder's reply, a message marked as
  needing no response, an answered message older than 90 days.
- The returns walkthrough: order 403-9930700-9360319 (the Hello Kitty plush),
  a request at 7 January 2013 19:36:31 GMT+01:00 authorized with RMA
  DYrkY0qDRR to « Ma boutique, ma rue, 08140 ma ville », refunded; a second
  request at 19:42:10 closed by the seller as a duplicate.
"""
import datetime as dt
import json
from pathlib import Path

SELLER = "A2SELLER0001"
PARIS = dt.timezone(dt.timedelta(hours=1))
events = []


def at(y, m, d, h=0, mi=0, s=0):
    return dt.datetime(y, m, d, h, mi, s, tzinfo=dt.timezone.utc)


def emit(when, type_, data):
    events.append((when, type_, data))


ALIASES = ["kamelec", "gerald.v", "peiffort.s", "nathalie", "furon", "bavay.p", "potin.al", "melissa",
           "josephine", "isabelle", "edouard", "schiebi", "charvolin", "balcon"]
SUBJECTS = ["Demande de renseignements concernant les détails d'un produit",
            "Demande de renseignements concernant la livraison d'une commande",
            "Re: Amazon Invoice / Facture / Rechnung"]
n = 0


def thread(received_at, delay_s, auto_reply=False, marked_after=None, auto_responder=False):
    global n
    n += 1
    alias = ALIASES[n % len(ALIASES)]
    t, m = f"TH-{n:03d}", f"MR-{n:03d}"
    emit(received_at, "message.received", {
        "message_id": m, "thread_id": t, "buyer_id": f"BUYER-{alias.upper()}",
        "buyer_alias": f"{alias}.x8k2@marketplace.amazon.fr", "subject": SUBJECTS[n % 3],
        "body": "Bonjour, pourriez-vous me renseigner ? Merci.", "auto_reply": auto_reply})
    if auto_responder:
        emit(received_at + dt.timedelta(minutes=5), "message.sent", {
            "message_id": f"MA-{n:03d}", "thread_id": t,
            "body": "Merci pour votre message, nous vous répondrons sous 24 heures.", "sender": "seller_auto"})
    if marked_after is not None:
        emit(received_at + marked_after, "message.no_response_needed", {"message_id": m})
    if delay_s is not None:
        emit(received_at + dt.timedelta(seconds=delay_s), "message.sent", {
            "message_id": f"MS-{n:03d}", "thread_id": t, "in_reply_to": m,
            "body": "Bonjour, merci pour votre message. Cordialement, Notre boutique.", "sender": "seller"})


# 90 days: (Oct 12 12:00Z, Dec 11 12:00Z]: 12 on time at 12 h, 4 late at 49 h 42 min
# (one received before the 30-day window starts and answered inside it).
for d in range(15, 27):
    thread(at(2012, 10, d, 9), 43200)
for when in [at(2012, 11, 1, 10), at(2012, 11, 5, 10), at(2012, 11, 9, 10), at(2012, 12, 11, 10)]:
    thread(when, 178920)
thread(at(2012, 10, 1, 9), 100 * 3600)  # older than 90 days: counts nowhere
# 30 days: (Dec 11 12:00Z, Jan 3 12:00Z]: 13 on time at 6 h, 3 late at 27 h 4 min.
for d in range(12, 25):
    thread(at(2012, 12, d, 8), 21600)
for d in [26, 28, 30]:
    thread(at(2012, 12, d, 8), 97440)
# 7 days: (Jan 3 12:00Z, Jan 10 12:00Z]: one on time at exactly 24 h (after an
# auto-responder's reply, which answers nothing), one late at 52 h.
thread(at(2013, 1, 4), 86400, auto_responder=True)
thread(at(2013, 1, 5, 6), 187200)
thread(at(2013, 1, 9), None, auto_reply=True)                    # buyer's out-of-office
thread(at(2013, 1, 8), None, marked_after=dt.timedelta(hours=1))  # no response needed

# The returns walkthrough.
ORDER = "403-9930700-9360319"
address = {"name": "Carole Henry", "line1": "test rue FR", "city": "Paris", "postal_code": "75015",
           "country": "FR", "phone": "01 23 24 25 26"}
emit(at(2012, 10, 1, 8), "seller.return_settings_changed", {
    "auto_authorize": "off", "return_window_days": 30, "return_address": address, "email_action_links": True})
emit(at(2013, 1, 3, 9, 12), "order.placed", {
    "order_id": ORDER, "buyer_id": "DIENGOUDI-ABDOULAYE",
    "items": [{"sku": "JEM-021835", "asin": "B008HK0021",
               "title": "Jemini - 021835 - Peluche - Hello Kitty - Printemps", "quantity": 1,
               "item_price": {"amount": "1.00", "currency": "EUR"}, "category": "toys"}],
    "latest_ship_date": "2013-01-08T23:59:59+01:00", "latest_delivery_date": "2013-01-12T23:59:59+01:00"})
emit(at(2013, 1, 7, 7, 30), "order.shipped", {"order_id": ORDER, "carrier": "La Poste"})
emit(at(2013, 1, 7, 11), "order.delivered", {"order_id": ORDER})
item = [{"sku": "JEM-021835", "asin": "B008HK0021", "quantity": 1}]
emit(at(2013, 1, 7, 18, 36, 31), "return.requested", {
    "return_id": "RET-0001", "order_id": ORDER, "buyer_id": "DIENGOUDI-ABDOULAYE", "items": item,
    "reason": "defective", "gift": False})
emit(at(2013, 1, 7, 18, 42, 10), "return.requested", {
    "return_id": "RET-0002", "order_id": ORDER, "buyer_id": "DIENGOUDI-ABDOULAYE", "items": item,
    "reason": "defective", "gift": False})
emit(at(2013, 1, 9, 17, 10), "return.authorized", {
    "return_id": "RET-0001", "rma": "DYrkY0qDRR",
    "return_address": {"name": "Ma boutique", "line1": "ma rue", "city": "ma ville", "postal_code": "08140",
                       "country": "FR"},
    "label": "unpaid", "authorized_by": "seller"})
emit(at(2013, 1, 9, 17, 12), "return.closed", {
    "return_id": "RET-0002", "close_reason": "duplicate_request",
    "message": "Cette demande de retour existe déjà.", "closed_by": "seller"})
emit(at(2013, 1, 10, 10), "return.item_received", {"return_id": "RET-0001", "condition": "damaged"})
emit(at(2013, 1, 10, 10, 30), "refund.issued", {
    "refund_id": "RF-0001", "order_id": ORDER, "return_id": "RET-0001",
    "amount": {"amount": "1.00", "currency": "EUR"}, "refund_kind": "full", "reason": "defective"})
# The seller's newest event: the seed's table is read at this instant.
emit(at(2013, 1, 10, 12), "order.placed", {
    "order_id": "403-1111111-2222222", "buyer_id": "BUYER-FURON",
    "items": [{"sku": "JEM-021836", "asin": "B008HK0022", "title": "Jemini - Peluche - Hello Kitty - Hiver",
               "quantity": 1, "item_price": {"amount": "12.90", "currency": "EUR"}, "category": "toys"}],
    "latest_ship_date": "2013-01-12T23:59:59+01:00", "latest_delivery_date": "2013-01-16T23:59:59+01:00"})

events.sort(key=lambda e: e[0])  # stable: same-instant events keep their order
out = Path(__file__).with_name("seed-feed.jsonl")
with out.open("w") as f:
    for i, (when, type_, data) in enumerate(events, 1):
        env = {"event_id": f"seed-{i:04d}", "type": type_,
               "occurred_at": when.astimezone(PARIS).isoformat(), "seller_id": SELLER, "marketplace": "FR",
               "schema_version": 1, "data": data}
        f.write(json.dumps(env, ensure_ascii=False, separators=(",", ":")) + "\n")
print(f"wrote {len(events)} events to {out}")
