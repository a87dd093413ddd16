"""Authenticated Kafka: a broker of its own with a SASL_PLAINTEXT listener
(scripts/kafka-up --sasl), the password handed to every carelog client
through the config's [kafka] table as { env = "NAME" }, a feed ingested
through it, and a wrong password that stops `carelog run` at once, saying why.

librdkafka 2.0.2's SCRAM client is rejected by Kafka 4.x brokers (fixed in
librdkafka 2.6.1), so the clients here use the listener's PLAIN mechanism.
"""
import json
import os
import re
import subprocess
import time
import uuid

import pytest

from conftest import REPO, Engine, carelog, generate, log_records, run, stored_offsets, wait_caught_up

PORT = int(os.environ.get("CARELOG_TEST_KAFKA_SASL_PORT", "19192"))
BROKERS = f"127.0.0.1:{PORT}"
PASSWORD = "sasl-test-" + uuid.uuid4().hex[:12]
PASSWORD_VAR = "CARELOG_TEST_KAFKA_PASSWORD"


@pytest.fixture(scope="module")
def sasl_broker():
    """A SASL broker started (on a wiped run dir of its own) and stopped by
    this module, beside the plaintext broker of the other tests."""
    env = {**os.environ, "CARELOG_KAFKA_RUN": f"/tmp/carelog-test-kafka-sasl-{PORT}",
           "CARELOG_KAFKA_SASL_PASSWORD": PASSWORD}
    down = [str(REPO / "scripts" / "kafka-down"), "--port", str(PORT), "--wipe"]
    run(down, env=env, check=False)
    up = run([str(REPO / "scripts" / "kafka-up"), "--sasl", "--port", str(PORT)], env=env, check=False, timeout=180)
    if up.returncode != 0:
        pytest.fail(f"scripts/kafka-up --sasl --port {PORT} failed:\n{up.stdout}\n{up.stderr}")
    assert "user carelog" in up.stdout and f"password {PASSWORD}" in up.stdout, up.stdout
    yield BROKERS
    run(down, env=env, check=False)


@pytest.fixture
def sasl_config(tmp_path):
    """A config whose [kafka] table authenticates with the password taken
    from the environment variable PASSWORD_VAR."""
    path = tmp_path / "carelog.toml"
    path.write_text("\n".join([
        "stats_interval_s = 1",
        "[kafka]",
        'security.protocol = "SASL_PLAINTEXT"',
        'sasl.mechanism = "PLAIN"',
        'sasl.username = "carelog"',
        f'sasl.password = {{ env = "{PASSWORD_VAR}" }}',
        "",
    ]))
    return path


def with_password(password):
    return {**os.environ, PASSWORD_VAR: password}


def test_ingests_through_sasl_with_the_password_from_the_environment(sasl_broker, sasl_config, tmp_path,
                                                                      monkeypatch):
    topic = "sasl-" + uuid.uuid4().hex[:8]
    env = with_password(PASSWORD)
    carelog("topics", "create", "--brokers", sasl_broker, "--topic", topic, "--partitions", 3,
            "--config", sasl_config, env=env)
    feed = generate(tmp_path / "feed.jsonl", sellers=20, events=2000, seed=11, days=30)
    out = carelog("produce", "--brokers", sasl_broker, "--topic", topic, "--config", sasl_config,
                  tmp_path / "feed.jsonl", env=env).stdout
    ends = {int(m[1]): int(m[2]) for m in re.finditer(r"partition (\d+): (\d+)", out)}
    assert sum(ends.values()) == len(feed), out

    monkeypatch.setenv(PASSWORD_VAR, PASSWORD)  # the engine inherits the environment
    engine = Engine(tmp_path / "data", topic, sasl_broker, extra=["--config", sasl_config]).start()
    wait_caught_up(engine.data_dir, ends, engine, timeout=60)
    assert engine.stop() == 0, engine.output()[-2000:]

    # Every event is in the log (`carelog log count`), each once.
    assert {p: next_offset for p, (_, next_offset) in stored_offsets(engine.data_dir).items()} == ends
    ids = [r["event"]["event_id"] for r in log_records(engine.data_dir)
           if not r["event"]["event_id"].startswith("derived:")]
    assert sorted(ids) == sorted(json.loads(l)["event_id"] for l in feed)

    # The engine says which properties it used, with the secret masked.
    output = engine.output()
    assert "sasl.password=***" in output and "sasl.username=carelog" in output, output[-2000:]
    assert PASSWORD not in output


def test_a_wrong_password_stops_start_up_saying_authentication_failed(sasl_broker, sasl_config, tmp_path):
    topic = "sasl-" + uuid.uuid4().hex[:8]
    carelog("topics", "create", "--brokers", sasl_broker, "--topic", topic, "--partitions", 1,
            "--config", sasl_config, env=with_password(PASSWORD))
    wrong = "wrong-" + uuid.uuid4().hex[:8]
    started = time.monotonic()
    try:
        p = carelog("run", "--config", sasl_config, "--brokers", sasl_broker, "--topic", topic,
                    "--group", f"g-{topic}", "--data-dir", tmp_path / "data", check=False,
                    env=with_password(wrong), timeout=30)
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        pytest.fail("carelog run with a wrong password still running after 30 s")
    elapsed = time.monotonic() - started
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert re.search(r"authentication failed", out, re.I), out
    assert elapsed < 15, f"took {elapsed:.1f} s:\n{out}"
    assert wrong not in out and PASSWORD not in out


def test_an_unset_password_variable_stops_start_up_naming_file_line_and_key(sasl_config, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_VAR}
    p = carelog("run", "--config", sasl_config, "--brokers", BROKERS, "--data-dir", tmp_path / "data",
                check=False, env=env, timeout=30)
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"{sasl_config}:6: key 'kafka.sasl.password'" in p.stderr, p.stderr
    assert f"environment variable {PASSWORD_VAR} is not set" in p.stderr, p.stderr
