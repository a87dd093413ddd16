"""The query API through the real broker and the real HTTP server: the
seed's scenario, error and auth cases, and answers after SIGKILL equal to a
clean ingest of the same events."""
import json
import random
import re
import time
import urllib.parse

from conftest import (REPO, Engine, carelog, end_offsets, generate, http_get, produce_with_carelog, static_member,
                      stored_offsets, wait_caught_up)

SELLER = "A2SELLER0001"
ORDER = "403-9930700-9360319"
SEED_FEED = REPO / "samples" / "seed-feed.jsonl"


def test_seed_scenario_through_kafka_and_http(brokers, topic, tmp_path):
    produce_with_carelog(brokers, topic, SEED_FEED)
    engine = Engine(tmp_path / "data", topic, brokers).start()
    port = engine.http_port()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)

    status, body = http_get(port, f"/v1/sellers/{SELLER}/returns")
    assert status == 200
    assert body["total"] == 2
    first, second = body["returns"]
    assert (first["return_id"], first["status"], first["closed_by"]) == ("RET-0002", "closed", "seller")
    assert first["close_reason"] == "duplicate_request"
    assert (second["return_id"], second["rma"], second["authorized_by"]) == ("RET-0001", "DYrkY0qDRR", "seller")
    assert second["requested_at"] == "2013-01-07T18:36:31Z"  # 19:36:31 GMT+01:00
    # Each filter of « Gérer les retours ».
    def ids(query):
        s, b = http_get(port, f"/v1/sellers/{SELLER}/returns?{query}")
        assert s == 200, b
        return [r["return_id"] for r in b["returns"]]
    assert ids("status=closed") == ["RET-0002"]
    assert ids("status=completed") == ["RET-0001"]  # refunded in full on 10 January
    assert ids("status=authorization_required") == []
    assert ids("closed_by=seller") == ["RET-0002"]
    assert ids("closed_by=buyer") == []
    assert ids("q=DYrkY0qDRR") == ["RET-0001"]
    # As things stood on 9 January before the seller acted: both waiting.
    assert ids("status=authorization_required&as_of=2013-01-09T12:00:00Z") == ["RET-0002", "RET-0001"]
    assert ids("status=authorized&as_of=2013-01-09T20:00:00%2B01:00") == ["RET-0001"]

    # The seed's « Temps de réponse » table, at the seller's newest event.
    status, body = http_get(port, f"/v1/sellers/{SELLER}/response-times")
    assert status == 200
    assert body["as_of"] == "2013-01-10T12:00:00Z"
    seed = {"7d": (1, 0.5, 1, 0.5, 0, 1, 136800), "30d": (14, 0.7778, 4, 0.2222, 0, 4, 47040),
            "90d": (26, 0.7647, 8, 0.2353, 0, 8, 61200)}
    for w, (on_time, on_rate, late, late_rate, no_resp, over_24h, avg) in seed.items():
        got = body["windows"][w]
        assert (got["on_time"]["count"], got["late"]["count"], got["no_response_over_24h"],
                got["responded_over_24h"], got["average_response_seconds"]) == (on_time, late, no_resp, over_24h, avg), w
        assert round(got["on_time"]["rate"], 2) == round(on_rate, 2) and round(got["late"]["rate"], 2) == round(late_rate, 2)
    assert body["unanswered_last_7_days"] == 0
    assert body["status"] == "at_risk"
    status, body = http_get(port, f"/v1/sellers/{SELLER}/account-health")
    assert status == 200
    assert body["metrics"]["contact_response_late_rate"]["numerator"] == 4
    assert body["metrics"]["contact_response_late_rate"]["denominator"] == 18
    status, body = http_get(port, f"/v1/sellers/{SELLER}/messages?q=kamelec&limit=5")
    assert status == 200 and body["messages"] and all("kamelec" in (m["buyer_alias"] or "") for m in body["messages"])
    status, body = http_get(port, f"/v1/orders/{ORDER}/history?seller_id={SELLER}")
    assert status == 200
    types = [e["event"]["type"] for e in body["events"]]
    assert types[0] == "order.placed" and "return.authorized" in types and types[-1] == "refund.issued"
    assert all(len(e["hash"]) == 64 for e in body["events"])
    seqs = [e["seq"] for e in body["events"]]
    assert seqs == sorted(seqs)

    # Errors: 400 naming the parameter, 404 for unknown seller/order/endpoint.
    status, body = http_get(port, f"/v1/sellers/{SELLER}/returns?colour=blue")
    assert status == 400 and "colour" in body["error"]["message"]
    status, body = http_get(port, f"/v1/sellers/{SELLER}/returns?status=lost")
    assert status == 400 and "status" in body["error"]["message"]
    status, body = http_get(port, f"/v1/sellers/{SELLER}/response-times?as_of=yesterday")
    assert status == 400 and "as_of" in body["error"]["message"]
    status, body = http_get(port, f"/v1/sellers/{SELLER}/returns?limit=0")
    assert status == 400 and "limit" in body["error"]["message"]
    status, body = http_get(port, f"/v1/sellers/{SELLER}/returns?limit=1&limit=2")
    assert status == 400 and "limit" in body["error"]["message"]
    status, body = http_get(port, "/v1/sellers/NOBODY/response-times")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = http_get(port, f"/v1/orders/999-9999999-9999999/history?seller_id={SELLER}")
    assert status == 404
    status, body = http_get(port, "/v1/nothing-here")
    assert status == 404
    status, body = http_get(port, "/healthz")
    assert status == 200
    status, body = http_get(port, "/v1/audit/partitions")
    assert status == 200
    heads = {h["partition"]: h for h in body["partitions"]}
    verify = carelog("log", "verify", "--data-dir", engine.data_dir).stdout
    for p, h in heads.items():
        assert f"partition {p}: head seq {h['seq']} hash {h['hash']}" in verify
    deadline = time.time() + 10  # lag gauges follow the next fetch responses
    while True:
        status, text = http_get(port, "/metrics")
        if "carelog_partition_lag{" in text or time.time() > deadline:
            break
        time.sleep(0.2)
    assert status == 200
    for name in ["carelog_log_events", "carelog_events_ingested_total", "carelog_events_duplicate_total",
                 "carelog_partition_lag{", "carelog_batch_seconds_bucket", 'carelog_query_seconds_bucket{endpoint="returns"']:
        assert name in text, name
    assert engine.stop() == 0


def test_bearer_tokens(brokers, topic, tmp_path):
    produce_with_carelog(brokers, topic, SEED_FEED)
    config = tmp_path / "carelog.toml"
    config.write_text('admin_tokens = ["admin-secret"]\n[seller_tokens]\nA2SELLER0001 = "seller-secret"\n')
    engine = Engine(tmp_path / "data", topic, brokers, extra=["--config", config]).start()
    port = engine.http_port()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    path = f"/v1/sellers/{SELLER}/response-times"
    assert http_get(port, path)[0] == 401
    assert http_get(port, path, token="wrong")[0] == 401
    assert http_get(port, path, token="seller-secret")[0] == 200
    assert http_get(port, path, token="admin-secret")[0] == 200
    assert http_get(port, "/v1/sellers/A9OTHER/response-times", token="seller-secret")[0] == 403
    assert http_get(port, f"/v1/orders/{ORDER}/history?seller_id={SELLER}", token="seller-secret")[0] == 200
    assert http_get(port, "/v1/rejected", token="seller-secret")[0] == 403
    assert http_get(port, "/metrics", token="seller-secret")[0] == 403
    assert http_get(port, "/metrics", token="admin-secret")[0] == 200
    assert http_get(port, "/healthz")[0] == 200
    assert "secret" not in engine.output()
    assert engine.stop() == 0


def https_request(port, path, cafile, token=None, method="GET", body=None):
    """(status, headers, text) of an HTTPS request that verifies the server against `cafile`."""
    import ssl
    import urllib.error
    import urllib.request
    req = urllib.request.Request(f"https://127.0.0.1:{port}{path}", method=method, data=body)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    ctx = ssl.create_default_context(cafile=str(cafile))
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def test_https_size_and_rate_limits_and_every_denial_counted(brokers, topic, tmp_path):
    import subprocess
    import urllib.error
    import urllib.request
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    produce_with_carelog(brokers, topic, SEED_FEED)
    config = tmp_path / "carelog.toml"
    config.write_text(f'admin_tokens = ["admin-secret"]\nhttp_tls_cert = "{cert}"\nhttp_tls_key = "{key}"\n'
                      'http_rate_limit = 20\nhttp_max_body_bytes = 1024\n')
    engine = Engine(tmp_path / "data", topic, brokers, extra=["--config", config]).start()
    port = engine.http_port()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    path = f"/v1/sellers/{SELLER}/response-times"

    status, _, text = https_request(port, path, cert, token="admin-secret")
    assert status == 200 and json.loads(text)["seller_id"] == SELLER
    # Plain HTTP gets no answer from an HTTPS port.
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
        assert False, "plain HTTP was answered"
    except (urllib.error.URLError, ConnectionError, OSError):
        pass
    assert https_request(port, path, cert)[0] == 401
    assert https_request(port, path, cert, token="wrong-secret")[0] == 401
    assert https_request(port, "/v1/admin/rebuild", cert, token="admin-secret", method="POST",
                         body=b"x" * 2048)[0] == 413
    assert https_request(port, f"{path}?colour=blue", cert, token="admin-secret")[0] == 400

    # A burst beyond 20/s (bursts of 40) is cut with 429 and Retry-After.
    statuses = [https_request(port, path, cert, token="admin-secret") for _ in range(80)]
    limited = [h for s, h, _ in statuses if s == 429]
    assert limited and all(h["Retry-After"] == "1" for h in limited), [s for s, _, _ in statuses]
    assert {s for s, _, _ in statuses} <= {200, 429}

    time.sleep(2.5)  # the bucket refills
    status, _, metrics = https_request(port, "/metrics", cert, token="admin-secret")
    assert status == 200
    denied = {m[0]: int(m[1]) for m in re.findall(r'carelog_http_denied_total\{reason="(\w+)"\} (\d+)', metrics)}
    assert denied.get("unauthorized") == 2 and denied.get("too_large") == 1 and denied.get("bad_parameter") == 1
    assert denied.get("rate_limited") == len(limited)
    log = engine.output()
    assert "http: 401 GET" in log and "(rate_limited)" in log
    assert "secret" not in log  # neither token is ever logged
    assert engine.stop() == 0


def answers(port, sellers, instants):
    out = {}
    for s in sellers:
        for t in instants:
            q = urllib.parse.quote(t)
            for ep in ["response-times", "returns?limit=1000", "messages?limit=1000", "account-health"]:
                sep = "&" if "?" in ep else "?"
                status, body = http_get(port, f"/v1/sellers/{s}/{ep}{sep}as_of={q}")
                assert status == 200, body
                out[(s, ep, t)] = body
    return out


def test_answers_after_sigkill_equal_a_clean_ingest(brokers, topic, tmp_path):
    feed = generate(tmp_path / "feed.jsonl", sellers=40, events=40000, seed=5, days=60)
    produce_with_carelog(brokers, topic, tmp_path / "feed.jsonl")
    ends = end_offsets(brokers, topic)
    sellers = sorted({json.loads(l)["seller_id"] for l in feed})[:8]
    instants = ["2012-10-20T00:00:00Z", "2012-11-15T12:00:00Z", "2012-12-01T00:00:00Z"]

    clean = Engine(tmp_path / "clean", topic, brokers, group="clean").start()
    wait_caught_up(clean.data_dir, ends, clean)
    expected = answers(clean.http_port(), sellers, instants)
    assert clean.stop() == 0

    rng = random.Random(3)
    crashed = tmp_path / "crashed"
    member = static_member(tmp_path, "sigkill-test")  # restarts resume at once
    # Small batches and a projection checkpoint every 1,000 records: the kills
    # land before, inside and after batches and checkpoints. Each run is
    # killed once it has ingested a few thousand events (whatever the
    # machine's speed), a few milliseconds later or sooner.
    progress = []
    for _ in range(3):
        e = Engine(crashed, topic, brokers, group="crashed",
                   extra=["--batch-size", "300", "--checkpoint-records", "1000", *member]).start()
        port, target = e.http_port(), rng.randint(2000, 9000)
        deadline = time.time() + 60
        while time.time() < deadline:
            _, metrics = http_get(port, "/metrics")
            m = re.search(r"^carelog_events_ingested_total (\d+)", metrics, re.M)
            if m and int(m[1]) >= target:
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.02))
        e.kill()
        progress.append(sum(off for _, off in stored_offsets(crashed).values()))
    assert any(0 < n < len(feed) for n in progress), progress  # a kill landed mid-ingest
    e = Engine(crashed, topic, brokers, group="crashed", extra=member).start()
    wait_caught_up(e.data_dir, ends, e)
    got = answers(e.http_port(), sellers, instants)
    assert e.stop() == 0
    assert got == expected
