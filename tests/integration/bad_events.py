"""Envelopes that carelog must refuse, each with the rejection code it must
give. Domain-rule cases come with the valid events that set them up."""
import json

BASE = {"event_id": None, "type": "order.shipped", "occurred_at": "2013-01-07T19:36:31+01:00",
        "seller_id": None, "marketplace": "FR", "schema_version": 1,
        "data": {"order_id": "403-9930700-9360319"}}


def env(event_id, seller, type_, data, **over):
    e = dict(BASE, event_id=event_id, seller_id=seller, type=type_, data=data)
    e.update(over)
    return e


def dumps(e):
    return json.dumps(e, ensure_ascii=False, separators=(",", ":"))


def order(order_id, buyer="B1", price="10.00"):
    return {"order_id": order_id, "buyer_id": buyer,
            "items": [{"sku": "JEM-021835", "asin": "B008HK0021", "title": "Peluche Hello Kitty",
                       "quantity": 1, "item_price": {"amount": price, "currency": "EUR"},
                       "category": "toys"}],
            "latest_ship_date": "2013-01-08T23:59:59+01:00",
            "latest_delivery_date": "2013-01-12T23:59:59+01:00"}


def cases(n, seller_of):
    """Yields (key, value, expected_code or None for valid setup events).
    `seller_of(i)` picks an existing seller of the feed for case i."""
    for i in range(n):
        s = f"BADSELLER{i:04d}"
        eid = lambda tag: f"bad-{i}-{tag}"
        v = seller_of(i)
        yield s, '{"event_id":"' + eid("json") + '","type":', "invalid_json"
        yield s, f"[1,2,{i}]", "not_object"
        e = env(eid("missing"), s, "order.delivered", {"order_id": "403-9930700-9360319"})
        del e["occurred_at"]
        yield s, dumps(e), "missing_field"
        yield s, dumps(env(eid("type"), s, "order.teleported", {})), "unknown_type"
        yield s, dumps(env(eid("enum"), s, "order.cancelled",
                           {"order_id": "403-9930700-9360319", "cancelled_by": "the cat"})), "invalid_enum"
        yield s, dumps(env(eid("long"), s, "message.sent",
                           {"message_id": "S1", "thread_id": "T1", "body": "é" * 4001, "sender": "seller"})), "invalid_length"
        yield s, dumps(env(eid("time"), s, "order.delivered", {"order_id": "403-9930700-9360319"},
                           occurred_at="2013-01-07 19:36:31")), "invalid_time"
        yield s, dumps(env(eid("oid"), s, "order.delivered", {"order_id": "403-993"})), "invalid_order_id"
        yield s, dumps(env(eid("mkt"), s, "order.delivered", {"order_id": "403-9930700-9360319"},
                           marketplace="XX")), "invalid_marketplace"
        yield s, dumps(env(eid("v2"), s, "order.delivered", {"order_id": "403-9930700-9360319"},
                           schema_version=2)), "unsupported_schema_version"
        yield s, dumps(env(eid("reserved"), s, "notification.requested",
                           {"to": "buyer", "template": "return_authorized"})), "reserved_type"
        yield "SOMEONE_ELSE", dumps(env(eid("key"), s, "order.delivered",
                                        {"order_id": "403-9930700-9360319"})), "key_mismatch"
        # Domain rules: for a seller of the feed, an order it does not have.
        yield v, dumps(env(eid("unknown"), v, "order.shipped", {"order_id": "999-9999999-9999999"})), "unknown_order"
        # A return moved out of a terminal state, and a refund above the price.
        oid = f"402-{i:07d}-0000001"
        yield s, dumps(env(eid("o"), s, "order.placed", order(oid))), None
        yield s, dumps(env(eid("r"), s, "return.requested",
                           {"return_id": "R1", "order_id": oid, "buyer_id": "B1",
                            "items": [{"sku": "JEM-021835", "asin": "B008HK0021", "quantity": 1}],
                            "reason": "defective", "gift": False})), None
        yield s, dumps(env(eid("c"), s, "return.cancelled", {"return_id": "R1"})), None
        yield s, dumps(env(eid("term"), s, "return.authorized",
                           {"return_id": "R1", "rma": "DYrkY0qDRR",
                            "return_address": {"name": "Ma boutique", "line1": "ma rue", "city": "ma ville",
                                               "postal_code": "08140", "country": "FR"},
                            "label": "unpaid", "authorized_by": "seller"})), "return_terminal"
        yield s, dumps(env(eid("refund"), s, "refund.issued",
                           {"refund_id": "F1", "order_id": oid, "amount": {"amount": "10.01", "currency": "EUR"},
                            "refund_kind": "full"})), "refund_exceeds_paid"
        # Same event id, same content: a duplicate, dropped without a trace.
        dup = dumps(env(eid("dup"), s, "order.delivered", {"order_id": oid}))
        yield s, dup, None
        yield s, dup, "duplicate"
        # Same event id, other content: a conflict.
        yield s, dumps(env(eid("dup"), s, "order.delivered", {"order_id": oid}, marketplace="DE")), "event_id_conflict"
