"""A buyer's erasure through the real broker, the real HTTP API and the CLI:
the seed's buyer kamelec is forgotten while the engine runs, another buyer
with the engine stopped. Afterwards their text reads [erased] in every
answer and export, every count is unchanged, the chain verifies, and no
file of the data dir holds their text any more."""
import json
import time
from pathlib import Path

from conftest import REPO, Engine, carelog, end_offsets, http_get, produce_with_carelog, wait_caught_up

SEED = REPO / "samples" / "seed-feed.jsonl"
SELLER = "A2SELLER0001"
AS_OF = "2013-01-10T12:00:00Z"


def texts_of(buyer, events):
    """The buyer's alias and the bodies and subjects of their threads that no other buyer shares."""
    threads = {e["data"]["thread_id"] for e in events
               if e["type"] == "message.received" and e["data"]["buyer_id"] == buyer}
    mine, others = set(), set()
    for e in events:
        d = e["data"]
        if e["type"] not in ("message.received", "message.sent"):
            continue
        texts = {d["body"], d.get("subject") or "", d.get("buyer_alias") or ""} - {""}
        (mine if d["thread_id"] in threads else others).update(texts)
    return {t for t in mine - others if len(t) >= 12}


def data_dir_bytes(path):
    return b"".join(f.read_bytes() for f in Path(path).rglob("*") if f.is_file())


def counts(port):
    got = {}
    for what in ["response-times", "account-health"]:
        status, body = http_get(port, f"/v1/sellers/{SELLER}/{what}?as_of={AS_OF}")
        assert status == 200, body
        got[what] = body
    status, body = http_get(port, f"/v1/sellers/{SELLER}/messages?limit=1000&as_of={AS_OF}")
    got["messages"] = [{k: v for k, v in m.items() if k not in ("buyer_alias", "subject")} for m in body["messages"]]
    return got


def test_forget_buyer_online_and_offline(brokers, topic, tmp_path):
    events = [json.loads(l) for l in SEED.read_text().splitlines()]
    kamelec, furon = texts_of("BUYER-KAMELEC", events), texts_of("BUYER-FURON", events)
    assert any("kamelec" in t for t in kamelec)
    bodies = {e["data"]["body"] for e in events if e["type"] in ("message.received", "message.sent")}
    produce_with_carelog(brokers, topic, SEED)
    engine = Engine(tmp_path / "data", topic, brokers).start()
    port = engine.http_port()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    before = counts(port)
    status, body = http_get(port, f"/v1/sellers/{SELLER}/messages?q=kamelec")
    assert status == 200 and body["total"] >= 1
    # The projections' rows reach the disk at the engine's next checkpoint (every 5 s).
    deadline = time.time() + 30
    while not any(t.encode() in data_dir_bytes(engine.data_dir) for t in kamelec) and time.time() < deadline:
        time.sleep(0.5)
    disk = data_dir_bytes(engine.data_dir)
    assert any(t.encode() in disk for t in kamelec), "the test could not fail: kamelec's text is not on disk"

    # Online: through the running engine's API.
    p = carelog("forget-buyer", "--data-dir", engine.data_dir, "--seller", SELLER, "--buyer", "BUYER-KAMELEC")
    assert "forgotten" in p.stdout, p.stdout + p.stderr
    assert counts(port) == before  # every count, status and instant unchanged
    status, body = http_get(port, f"/v1/sellers/{SELLER}/messages?q=kamelec")
    assert status == 200 and body["total"] == 0
    status, body = http_get(port, f"/v1/sellers/{SELLER}/messages?limit=1000")
    assert "[erased]" in json.dumps(body) and not any(t in json.dumps(body) for t in kamelec)
    again = carelog("forget-buyer", "--data-dir", engine.data_dir, "--seller", SELLER, "--buyer", "BUYER-KAMELEC")
    assert "no key" in again.stdout
    unknown = carelog("forget-buyer", "--data-dir", engine.data_dir, "--seller", "NOBODY", "--buyer", "B",
                      check=False)
    assert unknown.returncode == 3

    # From the feed: a buyer.erasure_requested event.
    melissa = texts_of("BUYER-MELISSA", events)
    request = tmp_path / "erase.jsonl"
    request.write_text(json.dumps({"event_id": "erase-melissa", "type": "buyer.erasure_requested",
                                   "occurred_at": "2013-01-11T09:00:00+01:00", "seller_id": SELLER,
                                   "marketplace": "FR", "schema_version": 1,
                                   "data": {"buyer_id": "BUYER-MELISSA"}}) + "\n")
    produce_with_carelog(brokers, topic, request)
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    status, body = http_get(port, f"/v1/sellers/{SELLER}/messages?q=melissa")
    assert status == 200 and body["total"] == 0
    # The line comes once the old files are compacted away, after the commit
    # the offsets showed.
    line = "erasure: buyer BUYER-MELISSA of seller A2SELLER0001 forgotten"
    deadline = time.time() + 30
    while line not in engine.output() and time.time() < deadline:
        time.sleep(0.2)
    assert line in engine.output()
    assert counts(port) == before
    assert engine.stop() == 0

    # Offline: the engine stopped.
    p = carelog("forget-buyer", "--data-dir", engine.data_dir, "--seller", SELLER, "--buyer", "BUYER-FURON")
    assert "forgotten" in p.stdout, p.stdout + p.stderr

    assert carelog("audit", "verify", "--data-dir", engine.data_dir).returncode == 0
    export = carelog("audit", "export", "--data-dir", engine.data_dir, "--seller", SELLER).stdout
    assert len(export.splitlines()) == len(events) + 1
    assert "[erased]" in export
    for t in kamelec | furon | melissa:
        assert t not in export, t
    disk = data_dir_bytes(engine.data_dir)
    for t in kamelec | furon | melissa:
        assert t.encode() not in disk, f"{t!r} is still in a file of the data dir"
    for t in bodies:  # message bodies are only ever stored sealed
        assert t.encode() not in disk, f"{t!r} is in clear in a file of the data dir"

    # A rebuild gives the erased answers too.
    engine = Engine(tmp_path / "data", topic, brokers).start()
    port = engine.http_port()
    after = counts(port)
    assert after == before
    assert engine.stop() == 0
    carelog("replay", "--data-dir", engine.data_dir)
    engine = Engine(tmp_path / "data", topic, brokers).start()
    assert counts(engine.http_port()) == after
    assert engine.stop() == 0
