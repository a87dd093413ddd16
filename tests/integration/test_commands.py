"""Sellers' commands (spec/commands.md) end to end: HTTP -> the ingest's
decision -> the log (a followed file, or the real broker's topic) -> the
queries. The feed is the seed's: the order 403-9930700-9360319 of 7 January
2013, the « Peluche Hello Kitty » at 9,90 EUR, a buyer's message and a return
request; the seller's close reasons and the 4,000-character reply limit."""
import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import (CARELOG, Engine, carelog, consume_all, end_offsets, log_records, produce_with_carelog,
                      static_member, wait_caught_up)

SELLER = "A2SELLER0001"
ORDER = "403-9930700-9360319"
ADDRESS = {"name": "Ma boutique", "line1": "ma rue", "city": "ma ville", "postal_code": "08140", "country": "FR"}
ITEM = {"sku": "JEM-021835", "asin": "B008HK0021", "title": "Peluche Hello Kitty", "quantity": 1,
        "item_price": {"amount": "9.90", "currency": "EUR"}, "category": "toys"}


def env(eid, type_, at, data, seller=SELLER):
    return json.dumps({"event_id": eid, "type": type_, "occurred_at": at, "seller_id": seller,
                       "marketplace": "FR", "schema_version": 1, "data": data}, separators=(",", ":"))


def seed_feed(seller=SELLER):
    """Settings with a return address, the order, a message about it, two return requests."""
    return [
        env(f"{seller}-set", "seller.return_settings_changed", "2013-01-01T00:00:00+01:00",
            {"auto_authorize": "off", "return_window_days": 30, "return_address": ADDRESS,
             "email_action_links": False}, seller),
        env(f"{seller}-o1", "order.placed", "2013-01-07T19:36:31+01:00",
            {"order_id": ORDER, "buyer_id": "B1", "items": [dict(ITEM, quantity=2)],
             "latest_ship_date": "2013-01-09T23:59:59+01:00",
             "latest_delivery_date": "2013-01-15T23:59:59+01:00"}, seller),
        env(f"{seller}-m1", "message.received", "2013-01-08T10:00:00+01:00",
            {"message_id": "m1", "thread_id": "t1", "buyer_id": "B1", "buyer_alias": "x8k2@marketplace.amazon.fr",
             "order_id": ORDER, "subject": "Ma peluche", "body": "Bonjour, la peluche est abîmée.",
             "auto_reply": False}, seller),
        *[env(f"{seller}-r{i}", "return.requested", "2013-01-09T10:00:00+01:00",
              {"return_id": rid, "order_id": ORDER, "buyer_id": "B1",
               "items": [{"sku": "JEM-021835", "asin": "B008HK0021", "quantity": 1}],
               "reason": "defective", "gift": False}, seller)
          for i, rid in enumerate(["R1", "R2"])],
    ]


def call(port, method, path, body=None, token=None, key=None, content_type="application/json", if_match=None):
    """(status, parsed JSON) of a request to the engine."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=data or b"")
    if content_type:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if key:
        req.add_header("Idempotency-Key", key)
    if if_match is not None:
        req.add_header("If-Match", str(if_match))
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    return status, json.loads(text)


class FileEngine:
    """`carelog run` following a file, serving HTTP (commands are appended by its ingest)."""

    def __init__(self, feed, data_dir, *extra):
        self.args = [CARELOG, "run", "--source", f"file:{feed}", "--data-dir", data_dir, "--follow=true",
                     "--http", "127.0.0.1:0", "--stats-interval-s", "0", *map(str, extra)]
        self.log_path = Path(str(data_dir) + ".log")

    def __enter__(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        import re
        while time.time() < deadline:
            m = re.search(r"http: serving on [0-9.]+:(\d+)", self.log_path.read_text())
            if m:
                self.port = int(m.group(1))
                return self
            assert self.proc.poll() is None, self.log_path.read_text()
            time.sleep(0.05)
        raise AssertionError("the engine never served")

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()


def wait_for(fn, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def served(tmp_path, lines, *extra):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n")
    engine = FileEngine(feed, tmp_path / "data", *extra)
    return engine


def requests_listed(port, token=None):
    """How many return requests the seller's listing shows (0 until the seller is known)."""
    status, body = call(port, "GET", f"/v1/sellers/{SELLER}/returns?status=all", content_type=None, token=token)
    return len(body["returns"]) if status == 200 else 0


def returns_of(port, token=None):
    status, body = call(port, "GET", f"/v1/sellers/{SELLER}/returns?status=all", content_type=None, token=token)
    assert status == 200, body
    return {r["return_id"]: r for r in body["returns"]}


def test_each_command_becomes_one_event_that_the_next_query_shows(tmp_path):
    with served(tmp_path, seed_feed()) as e:
        wait_for(lambda: requests_listed(e.port) == 2)
        base = f"/v1/sellers/{SELLER}"

        # « Répondre »: a message.sent in the thread, in reply to m1, which is now answered.
        status, body = call(e.port, "POST", f"{base}/messages/m1/reply",
                            {"body": "Bonjour, nous vous envoyons une étiquette de retour."})
        assert status == 201, body
        ev = body["event"]
        assert ev["event_id"] == body["event_id"] and ev["event_id"].startswith("cmd:")
        assert ev["type"] == "message.sent" and ev["marketplace"] == "FR"
        assert ev["data"]["thread_id"] == "t1" and ev["data"]["in_reply_to"] == "m1"
        assert ev["data"]["order_id"] == ORDER and ev["data"]["sender"] == "seller"
        assert ev["data"]["acted_by"] == "unauthenticated" and ev["data"]["request_id"]
        assert body["row"]["message_id"] == "m1" and body["row"]["status"] == "late"  # answered, years later
        status, listing = call(e.port, "GET", f"{base}/messages?direction=sent", content_type=None)
        assert [m["message_id"] for m in listing["messages"]] == [ev["data"]["message_id"]]

        # « Autoriser la demande »: the RMA and the address as the automatic ones get them.
        status, body = call(e.port, "POST", f"{base}/returns/R1/authorize", {})
        assert status == 201, body
        data = body["event"]["data"]
        assert len(data["rma"]) == 10 and data["rma"].isalnum()
        assert data["return_address"] == ADDRESS and data["label"] == "unpaid" and data["authorized_by"] == "seller"
        assert body["row"]["status"] == "authorized" and body["row"]["rma"] == data["rma"]
        assert returns_of(e.port)["R1"]["status"] == "authorized"

        # « Fermer la demande » with one of the seed's close reasons and a message.
        status, body = call(e.port, "POST", f"{base}/returns/R2/close",
                            {"close_reason": "refund_without_return", "message": "Remboursé sans retour."})
        assert status == 201, body
        assert body["row"]["status"] == "closed" and body["row"]["close_reason"] == "refund_without_return"

        # « Émettre un remboursement »: a partial refund of R1 (one of two plush toys paid).
        status, body = call(e.port, "POST", f"{base}/refunds",
                            {"order_id": ORDER, "return_id": "R1", "amount": {"amount": "9.90", "currency": "EUR"},
                             "refund_kind": "partial"})
        assert status == 201, body
        assert body["event"]["type"] == "refund.issued" and body["row"]["refunded"]["amount"] == "9.90"
        assert body["row"]["status"] == "completed"  # the returned item's value is refunded

        # « Marquer comme ne nécessitant pas de réponse ».
        status, body = call(e.port, "POST", f"{base}/messages/m1/no-response-needed", {})
        assert status == 201 and body["event"]["type"] == "message.no_response_needed", body

        # Automated returns for FR: a PUT keeps what it does not name.
        status, body = call(e.port, "PUT", f"{base}/return-settings/FR", {"auto_authorize": "all"})
        assert status == 200, body
        fr = body["row"]["marketplaces"]["FR"]
        assert fr["auto_authorize"] == "all" and fr["return_address"] == ADDRESS and fr["return_window_days"] == 30

        # Who acted shows in the order history.
        status, history = call(e.port, "GET", f"/v1/orders/{ORDER}/history?seller_id={SELLER}", content_type=None)
        acted = [h["event"]["data"].get("acted_by") for h in history["events"]]
        assert acted.count("unauthenticated") >= 4, acted

    # Each command is exactly one event of the log.
    commands = [r for r in log_records(tmp_path / "data") if r["event"]["event_id"].startswith("cmd:")]
    assert [r["event"]["type"] for r in commands] == [
        "message.sent", "return.authorized", "return.closed", "refund.issued", "message.no_response_needed",
        "seller.return_settings_changed"]


def test_a_command_that_breaks_a_rule_is_refused_and_emits_nothing(tmp_path):
    with served(tmp_path, seed_feed()) as e:
        wait_for(lambda: requests_listed(e.port) == 2)
        base = f"/v1/sellers/{SELLER}"
        assert call(e.port, "POST", f"{base}/returns/R2/close", {"close_reason": "duplicate_request"})[0] == 201
        before = len(log_records(tmp_path / "data"))
        cases = [
            # authorize a closed return
            ("POST", f"{base}/returns/R2/authorize", {}, 409, "return_terminal", "return_id"),
            # refund more than the order was paid (2 x 9,90)
            ("POST", f"{base}/refunds", {"order_id": ORDER, "amount": {"amount": "19.81", "currency": "EUR"},
                                        "refund_kind": "partial"}, 422, "refund_exceeds_paid", "amount"),
            # « Veuillez limiter votre message à 4 000 caractères maximum »
            ("POST", f"{base}/messages/m1/reply", {"body": "x" * 4001}, 422, "invalid_length", "body"),
            ("POST", f"{base}/messages/m1/reply", {}, 422, "missing_field", "body"),
            # « 1000 caractères restants »
            ("POST", f"{base}/returns/R1/close", {"close_reason": "duplicate_request", "message": "é" * 1001},
             422, "invalid_length", "message"),
            ("POST", f"{base}/returns/R1/close", {"close_reason": "because"}, 422, "invalid_enum", "close_reason"),
            ("POST", f"{base}/returns/R1/authorize", {"label": "free"}, 422, "invalid_enum", "label"),
            ("POST", f"{base}/returns/R1/authorize", {"colour": "blue"}, 422, "unknown_field", "colour"),
            ("POST", f"{base}/returns/R9/authorize", {}, 404, "unknown_return", "return_id"),
            ("POST", f"{base}/messages/m9/reply", {"body": "?"}, 404, "unknown_message", "message_id"),
            ("POST", f"{base}/refunds", {"order_id": "403-0000000-0000000", "amount": {"amount": "1.00", "currency": "EUR"},
                                        "refund_kind": "partial"}, 404, "unknown_order", "order_id"),
            ("POST", f"{base}/refunds", {"order_id": ORDER, "amount": {"amount": "1.00", "currency": "USD"},
                                        "refund_kind": "partial"}, 422, "invalid_money", "amount.currency"),
            ("PUT", f"{base}/return-settings/XX", {"auto_authorize": "all"}, 422, "invalid_marketplace", "marketplace"),
            ("PUT", f"{base}/return-settings/FR", {"return_window_days": 366}, 422, "out_of_range", "return_window_days"),
        ]
        for method, path, body, status, code, field in cases:
            got, answer = call(e.port, method, path, body)
            assert (got, answer["error"]["code"], answer["error"].get("field")) == (status, code, field), (path, answer)
        assert call(e.port, "POST", f"{base}/returns/R1/authorize", b"{", )[0] == 400
        got, answer = call(e.port, "POST", f"{base}/returns/R1/authorize", {}, content_type="text/plain")
        assert got == 415, answer
        got, answer = call(e.port, "GET", f"{base}/returns/R1/authorize", content_type=None)
        assert got == 405, answer
        # Nothing was appended by any of them.
        assert len(log_records(tmp_path / "data")) == before
        # Authorized once, a second authorization is refused.
        assert call(e.port, "POST", f"{base}/returns/R1/authorize", {})[0] == 201
        got, answer = call(e.port, "POST", f"{base}/returns/R1/authorize", {})
        assert (got, answer["error"]["code"]) == (409, "already_authorized")


def test_an_idempotency_key_gives_one_event_and_one_answer(tmp_path):
    with served(tmp_path, seed_feed()) as e:
        wait_for(lambda: requests_listed(e.port) == 2)
        path = f"/v1/sellers/{SELLER}/returns/R1/authorize"
        answers = []

        def retry():
            answers.append(call(e.port, "POST", path, {"label": "prepaid"}, key="autoriser-R1"))

        threads = [threading.Thread(target=retry) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert {a[0] for a in answers} == {201}, answers
        assert len({a[1]["event_id"] for a in answers}) == 1
        assert len({json.dumps(a[1]["event"], sort_keys=True) for a in answers}) == 1
        # Later, the same answer again; another body under the key is refused.
        status, later = call(e.port, "POST", path, {"label": "prepaid"}, key="autoriser-R1")
        assert status == 201 and later["event"] == answers[0][1]["event"]
        status, body = call(e.port, "POST", path, {"label": "none"}, key="autoriser-R1")
        assert (status, body["error"]["code"]) == (422, "idempotency_key_reused")
    ids = [r["event"]["event_id"] for r in log_records(tmp_path / "data")]
    assert ids.count(answers[0][1]["event_id"]) == 1


def test_if_match_refuses_a_stale_version_with_the_current_row(tmp_path):
    with served(tmp_path, seed_feed()) as e:
        wait_for(lambda: requests_listed(e.port) == 2)
        base = f"/v1/sellers/{SELLER}"
        seen = returns_of(e.port)["R1"]["version"]
        assert seen > 0
        # A colleague authorizes R1 meanwhile.
        status, body = call(e.port, "POST", f"{base}/returns/R1/authorize", {}, if_match=f'"{seen}"')
        assert status == 201 and body["row"]["version"] > seen, body
        # The close read at the old version: refused, with the row as it is now.
        status, body = call(e.port, "POST", f"{base}/returns/R1/close", {"close_reason": "duplicate_request"},
                            if_match=seen)
        assert status == 409 and body["error"]["code"] == "version_conflict", body
        assert body["row"]["status"] == "authorized" and body["row"]["version"] > seen
        status, _ = call(e.port, "POST", f"{base}/returns/R1/close", {"close_reason": "duplicate_request"},
                         if_match=body["row"]["version"])
        assert status == 201
        # A message: a reply in its thread moves its version.
        status, listing = call(e.port, "GET", f"{base}/messages?direction=received", content_type=None)
        m1 = listing["messages"][0]
        assert call(e.port, "POST", f"{base}/messages/m1/reply", {"body": "Bonjour"}, if_match=m1["version"])[0] == 201
        status, body = call(e.port, "POST", f"{base}/messages/m1/reply", {"body": "Bonjour !"}, if_match=m1["version"])
        assert status == 409 and body["row"]["version"] > m1["version"], body
        assert call(e.port, "POST", f"{base}/messages/m1/reply", {"body": "?"}, if_match="W/1")[0] == 400


def test_a_seller_token_acts_only_for_its_seller(tmp_path):
    config = tmp_path / "carelog.toml"
    config.write_text(f'admin_tokens = ["admin-secret"]\n[seller_tokens]\n{SELLER} = "seller-secret"\n'
                      'A9OTHER = "other-secret"\n')
    lines = seed_feed() + seed_feed("A9OTHER")
    with served(tmp_path, lines, "--config", config) as e:
        wait_for(lambda: requests_listed(e.port, token="admin-secret") == 2)
        path = f"/v1/sellers/{SELLER}/returns/R1/authorize"
        assert call(e.port, "POST", path, {})[0] == 401
        assert call(e.port, "POST", path, {}, token="other-secret")[0] == 403
        status, body = call(e.port, "POST", path, {}, token="seller-secret")
        assert status == 201 and body["event"]["data"]["acted_by"] == SELLER
        status, body = call(e.port, "POST", f"/v1/sellers/A9OTHER/returns/R1/authorize", {}, token="admin-secret")
        assert status == 201 and body["event"]["data"]["acted_by"] == "admin"


# ---- through the real broker ----

def test_commands_go_through_the_topic(brokers, topic, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(seed_feed()) + "\n")
    produce_with_carelog(brokers, topic, feed)
    engine = Engine(tmp_path / "data", topic, brokers).start()
    port = engine.http_port()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    before = sum(end_offsets(brokers, topic).values())

    status, body = call(port, "POST", f"/v1/sellers/{SELLER}/returns/R1/authorize", {}, key="k1")
    assert status == 201, body
    assert returns_of(port)["R1"]["status"] == "authorized"
    # One record more on the input topic, keyed by the seller: the event as logged.
    assert sum(end_offsets(brokers, topic).values()) == before + 1
    records = consume_all(brokers, topic, before + 1)
    produced = [r for r in records if json.loads(r["payload"])["event_id"] == body["event_id"]]
    assert len(produced) == 1 and produced[0]["key"] == SELLER
    assert json.loads(produced[0]["payload"]) == body["event"]

    # A refused command produces nothing.
    status, answer = call(port, "POST", f"/v1/sellers/{SELLER}/returns/R1/authorize", {})
    assert (status, answer["error"]["code"]) == (409, "already_authorized")
    status, answer = call(port, "POST", f"/v1/sellers/{SELLER}/messages/m1/reply", {"body": "x" * 4001})
    assert status == 422
    time.sleep(1)
    assert sum(end_offsets(brokers, topic).values()) == before + 1
    # The retry answers the same.
    status, again = call(port, "POST", f"/v1/sellers/{SELLER}/returns/R1/authorize", {}, key="k1")
    assert status == 201 and again["event"] == body["event"]
    assert engine.stop() == 0


def test_a_command_the_broker_refuses_answers_503_and_emits_nothing(brokers, tmp_path):
    # A topic whose broker refuses the command's event (records of at most
    # 200 bytes): the engine consumes it, and the command's produce fails.
    import uuid
    name = "cmd-unwritable-" + uuid.uuid4().hex[:8]
    carelog("topics", "create", "--brokers", brokers, "--topic", name, "--partitions", 6,
            "--topic-config", "max.message.bytes=200")
    engine = Engine(tmp_path / "data", name, brokers, extra=["--command-timeout-ms", 2000]).start()
    port = engine.http_port()
    # No seller yet: a settings change needs no state.
    start = time.time()
    status, body = call(port, "PUT", f"/v1/sellers/{SELLER}/return-settings/FR",
                        {"auto_authorize": "off", "return_window_days": 30, "return_address": ADDRESS,
                         "email_action_links": False}, key="s1")
    took = time.time() - start
    assert status == 503 and body["error"]["code"] == "source_unavailable", (status, body)
    assert took < 10, took
    assert sum(end_offsets(brokers, name).values()) == 0
    assert engine.stop() == 0


def test_sigkill_between_produce_and_append_logs_the_command_once(brokers, topic, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(seed_feed()) + "\n")
    produce_with_carelog(brokers, topic, feed)
    member = static_member(tmp_path, "commands-kill")  # back at once after the kill
    engine = Engine(tmp_path / "data", topic, brokers, extra=member).start()
    port = engine.http_port()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    assert engine.stop() == 0

    # The engine dies right after the broker acknowledged the command's event.
    import os
    os.environ["CARELOG_FAILURE_PROBES"] = "command.produced:1"
    try:
        engine = Engine(tmp_path / "data", topic, brokers, extra=member).start()
        port = engine.http_port()
    finally:
        del os.environ["CARELOG_FAILURE_PROBES"]
    try:
        call(port, "POST", f"/v1/sellers/{SELLER}/returns/R1/close", {"close_reason": "duplicate_request"}, key="c1")
        raise AssertionError("the engine answered")
    except (ConnectionError, urllib.error.URLError, OSError):
        pass
    engine.proc.wait(timeout=30)
    assert engine.proc.returncode == -signal.SIGKILL

    engine = Engine(tmp_path / "data", topic, brokers, extra=member).start()
    port = engine.http_port()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    assert returns_of(port)["R1"]["status"] == "closed"
    # The client's retry: the same event, not a second one.
    status, body = call(port, "POST", f"/v1/sellers/{SELLER}/returns/R1/close", {"close_reason": "duplicate_request"},
                        key="c1")
    assert status == 201, body
    assert engine.stop() == 0
    closes = [r for r in log_records(tmp_path / "data") if r["event"]["type"] == "return.closed"]
    assert [r["event"]["event_id"] for r in closes] == [body["event_id"]]


def test_the_command_line_acts_through_the_engine(tmp_path):
    with served(tmp_path, seed_feed()) as e:
        wait_for(lambda: requests_listed(e.port) == 2)
        engine = ["--engine", f"http://127.0.0.1:{e.port}", "--seller", SELLER]
        out = carelog("return", "authorize", *engine, "--return", "R1", "--label", "prepaid",
                      "--idempotency-key", "cli-1").stdout
        answer = json.loads(out)
        assert answer["event"]["data"]["label"] == "prepaid" and answer["row"]["status"] == "authorized"
        # The same key again: the same event.
        again = json.loads(carelog("return", "authorize", *engine, "--return", "R1", "--label", "prepaid",
                                   "--idempotency-key", "cli-1").stdout)
        assert again["event_id"] == answer["event_id"]
        p = carelog("return", "authorize", *engine, "--return", "R1", check=False)
        assert p.returncode == 1 and "409 already_authorized" in p.stderr, p.stderr
        p = carelog("return", "close", *engine, "--return", "R2", "--reason", "refund_without_return",
                    "--message", "Remboursé sans retour.", check=False)
        assert p.returncode == 0 and json.loads(p.stdout)["row"]["status"] == "closed", p.stderr
        p = carelog("refund", "issue", *engine, "--order", ORDER, "--amount", "25.00", "--currency", "EUR",
                    "--kind", "partial", check=False)
        assert p.returncode == 1 and "422 refund_exceeds_paid amount" in p.stderr, p.stderr
        p = carelog("message", "reply", *engine, "--message", "m1", "--body", "Bonjour !", check=False)
        assert p.returncode == 0 and json.loads(p.stdout)["event"]["type"] == "message.sent", p.stderr
        p = carelog("settings", "returns", *engine, "--marketplace", "FR", "--auto-authorize", "policy",
                    "--window-days", "30", check=False)
        assert p.returncode == 0 and json.loads(p.stdout)["row"]["marketplaces"]["FR"]["auto_authorize"] == "policy"
        # No engine there: a clear error.
        p = carelog("message", "no-response-needed", "--engine", "http://127.0.0.1:9", "--seller", SELLER,
                    "--message", "m1", check=False)
        assert p.returncode == 1 and "no answer from the engine" in p.stderr


def test_signed_action_links_act_once_without_a_token(tmp_path):
    from datetime import datetime, timedelta, timezone
    secret = "a-secret-of-at-least-thirty-two-bytes!"
    config = tmp_path / "carelog.toml"
    config.write_text(f'admin_tokens = ["admin-secret"]\n[action_links]\nsecret = "{secret}"\n'
                      'base_url = "https://seller.example"\nttl_s = 86400\n')
    now = datetime.now(timezone.utc)
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    item = dict(ITEM, quantity=2)
    lines = [
        env("set", "seller.return_settings_changed", iso(now - timedelta(days=40)),
            {"auto_authorize": "off", "return_window_days": 30, "return_address": ADDRESS,
             "email_action_links": True}),
        env("o1", "order.placed", iso(now - timedelta(days=35)),
            {"order_id": ORDER, "buyer_id": "B1", "items": [item], "latest_ship_date": iso(now - timedelta(days=33)),
             "latest_delivery_date": iso(now - timedelta(days=30))}),
        # R0's request is two days old: its links (a day's life) have expired.
        env("r0", "return.requested", iso(now - timedelta(days=2)),
            {"return_id": "R0", "order_id": ORDER, "buyer_id": "B1",
             "items": [{"sku": "JEM-021835", "asin": "B008HK0021", "quantity": 1}], "reason": "defective", "gift": False}),
        env("r1", "return.requested", iso(now - timedelta(hours=1)),
            {"return_id": "R1", "order_id": ORDER, "buyer_id": "B1",
             "items": [{"sku": "JEM-021835", "asin": "B008HK0021", "quantity": 1}], "reason": "defective", "gift": False}),
    ]
    with served(tmp_path, lines, "--config", config) as e:
        wait_for(lambda: requests_listed(e.port, token="admin-secret") == 2)
        notices = {}
        for r in log_records(tmp_path / "data"):
            ev = r["event"]
            if ev["type"] == "notification.requested" and ev["data"].get("action_links"):
                notices[ev["data"]["return_id"]] = ev["data"]["action_links"]
        prefix = "https://seller.example/v1/actions/"
        assert sorted(notices) == ["R0", "R1"] and all(l.startswith(prefix) for l in notices["R1"]), notices
        authorize, close = [l[len(prefix):] for l in notices["R1"]]

        status, what = call(e.port, "GET", f"/v1/actions/{authorize}", content_type=None)
        assert status == 200 and what["action"] == "authorize" and what["return_id"] == "R1" and not what["used"]
        # Altered, or out of time: 403.
        altered = authorize[:5] + ("A" if authorize[5] != "A" else "B") + authorize[6:]
        assert call(e.port, "POST", f"/v1/actions/{altered}", {})[0] == 403
        status, body = call(e.port, "POST", f"/v1/actions/{notices['R0'][0][len(prefix):]}", {})
        assert (status, body["error"]["code"]) == (403, "link_expired")

        # No bearer token needed: the link is the credential, once.
        status, body = call(e.port, "POST", f"/v1/actions/{authorize}", {})
        assert status == 201, body
        assert body["event"]["data"]["acted_by"] == "action_link" and body["row"]["status"] == "authorized"
        status, body = call(e.port, "POST", f"/v1/actions/{authorize}", {})
        assert (status, body["error"]["code"]) == (403, "link_used")
        assert call(e.port, "GET", f"/v1/actions/{authorize}", content_type=None)[1]["used"] is True
        status, body = call(e.port, "POST", f"/v1/actions/{close}", {"close_reason": "refund_without_return"})
        assert status == 201 and body["row"]["status"] == "closed", body
        # The commands' own routes still need a token.
        assert call(e.port, "POST", f"/v1/sellers/{SELLER}/returns/R0/authorize", {})[0] == 401


def test_without_a_secret_there_are_no_action_links(tmp_path):
    with served(tmp_path, seed_feed()) as e:
        wait_for(lambda: requests_listed(e.port) == 2)
        assert call(e.port, "GET", "/v1/actions/abc.def", content_type=None)[0] == 404
