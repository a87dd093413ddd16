"""SIGKILL the engine at random moments while it ingests 200,000 events; after
the last restart every event is in the log exactly once, the hash chains
verify, and the stored offsets equal the topic's end offsets."""
import json
import random
import re
import time

from conftest import (Engine, carelog, consume_all, end_offsets, generate, http_get, log_records,
                      produce_with_carelog, static_member, stored_offsets, wait_caught_up)


def ingested_since_start(engine, at_least, timeout=60):
    """Waits until the engine's /metrics count `at_least` events ingested."""
    port = engine.http_port()
    deadline = time.time() + timeout
    while time.time() < deadline:
        _, body = http_get(port, "/metrics")
        m = re.search(r"^carelog_events_ingested_total (\d+)", body, re.M)
        if m and int(m.group(1)) >= at_least:
            return
        time.sleep(0.02)
    raise AssertionError(f"the engine ingested nothing in {timeout} s:\n{engine.output()[-2000:]}")


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(brokers, topic, tmp_path):
    feed = generate(tmp_path / "feed.jsonl", sellers=500, events=200000, seed=11, days=90)
    produce_with_carelog(brokers, topic, tmp_path / "feed.jsonl")
    ends = end_offsets(brokers, topic)
    assert sum(ends.values()) == len(feed)

    data = tmp_path / "data"
    rng = random.Random(2024)
    kills, progress = 0, []
    # Small batches: many commits, so kills land before, inside and after them.
    # Static membership: each restart resumes ingesting at once (a dynamic
    # member would wait out the killed one's session, and the next kills would
    # land before it consumed anything).
    args = dict(data_dir=data, topic=topic, brokers=brokers,
                extra=["--batch-size", "100", *static_member(tmp_path, "crash-test")])
    while kills < 6:
        engine = Engine(**args).start()
        # Each kill lands once this run has committed something, at a random
        # moment after it: never before the first batch on a slow machine,
        # still while work is left on a fast one.
        ingested_since_start(engine, at_least=1)
        time.sleep(rng.uniform(0.0, 0.5))
        engine.kill()
        kills += 1
        counted = sum(off for _, off in stored_offsets(data).values())  # source records consumed
        progress.append(counted)
        if counted >= len(feed):
            break
    # At least five kills landed while there was still work to do, and the
    # engine ingested between them.
    assert sum(1 for n in progress if n < len(feed)) >= 5, progress
    assert len(set(progress)) >= 4, progress

    engine = Engine(**args).start()
    wait_caught_up(engine.data_dir, ends, engine)
    assert engine.stop() == 0

    offsets = stored_offsets(data)
    assert {p: off for p, (_, off) in offsets.items()} == ends
    records = log_records(data)
    derived = [r["event"]["event_id"] for r in records if r["event"]["event_id"].startswith("derived:")]
    assert len(derived) == len(set(derived))  # derived events too, each once
    ids = [r["event"]["event_id"] for r in records if not r["event"]["event_id"].startswith("derived:")]
    assert len(ids) == len(feed)
    assert len(set(ids)) == len(ids)
    assert set(ids) == {json.loads(l)["event_id"] for l in feed}
    verify = carelog("log", "verify", "--data-dir", data)
    assert verify.stdout.strip().splitlines()[-1].startswith(f"OK: {len(records)} records")
    # Nothing was rejected: a re-delivered event would have been a duplicate
    # or a conflict, and no dead letters exist.
    assert consume_all(brokers, topic + ".dlq", 0, timeout=0) == []
