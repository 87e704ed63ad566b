"""Security: loopback only, credentials from the environment only, never shown."""
from __future__ import annotations

import json
import logging
import secrets
import time

import pytest

from helpers import ConfigError, ProduceError, SyncProducer, parse_config
from helpers.broker import LocalCluster
from helpers.broker.cluster import free_ports
from helpers.client.errors import BrokerError
from helpers.client.config import redact
from helpers.course.runner import NOTEBOOKS


@pytest.fixture
def sasl_broker(tmp_path, monkeypatch):
    """A broker with a SCRAM-SHA-256 user whose name and password exist only in the environment."""
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("CODEALONG_SASL_USERNAME", "learner")
    monkeypatch.setenv("CODEALONG_SASL_PASSWORD", secrets.token_urlsafe(16))
    cluster = LocalCluster(port=free_ports(3), name="sasl", sasl=True)
    cluster.start()
    yield cluster
    cluster.stop()


def secured(cluster) -> "SyncProducer":
    config = parse_config({"producer": {"endpoints": [cluster.sasl_bootstrap]},
                           "security": {"protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256"}})
    return SyncProducer(config.producer, timeout_s=5)


def test_helpers_connect_with_credentials_from_the_environment(sasl_broker, monkeypatch, caplog):
    monkeypatch.setenv("KAFKA_USERNAME", "learner")
    monkeypatch.setenv("KAFKA_PASSWORD", __import__("os").environ["CODEALONG_SASL_PASSWORD"])
    with caplog.at_level(logging.DEBUG):
        with secured(sasl_broker) as producer:
            delivery = producer.produce_sync("secure_topic", "Metamorphosis", "Franz Kafka")
            shown = repr(producer) + repr(producer.config) + str(redact(producer.config.client_settings()))
    assert delivery.topic == "secure_topic"
    secret = __import__("os").environ["KAFKA_PASSWORD"]
    assert secret not in shown and secret not in caplog.text


def test_wrong_credentials_are_refused_clearly(sasl_broker, monkeypatch, caplog):
    monkeypatch.setenv("KAFKA_USERNAME", "learner")
    wrong = secrets.token_urlsafe(16)
    monkeypatch.setenv("KAFKA_PASSWORD", wrong)
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ProduceError) as err:
            secured(sasl_broker).produce_sync("secure_topic", "k", "v")
    assert time.monotonic() - started < 15
    assert err.value.code == "_AUTHENTICATION" and "refused the credentials" in err.value.cause
    assert "KAFKA_PASSWORD" in err.value.fix
    assert wrong not in str(err.value) and wrong not in caplog.text


def test_the_plaintext_listener_of_the_sasl_broker_is_still_loopback_only(sasl_broker):
    import psutil

    pid = sasl_broker.status()[0].pid
    listening = {c.laddr.ip.removeprefix("::ffff:") for c in psutil.Process(pid).net_connections("inet")
                 if c.status == psutil.CONN_LISTEN}
    assert listening == {"127.0.0.1"}


def test_missing_credentials_for_the_sasl_profile_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALONG_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("CODEALONG_SASL_PASSWORD", raising=False)
    with pytest.raises(BrokerError) as err:
        LocalCluster(port=free_ports(3), name="sasl", sasl=True).start()
    assert "CODEALONG_SASL_PASSWORD" in str(err.value)


def test_no_credential_in_stored_notebook_outputs():
    """The notebooks never print a secret: scan every stored output for credential settings."""
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        outputs = json.dumps([c.get("outputs", []) for c in json.loads(path.read_text())["cells"]])
        assert "sasl.password" not in outputs.replace("'sasl.password': '***'", ""), path.name
        assert "BEGIN PRIVATE KEY" not in outputs, path.name


def test_config_errors_never_echo_a_password(monkeypatch):
    monkeypatch.setenv("KAFKA_USERNAME", "learner")
    monkeypatch.delenv("KAFKA_PASSWORD", raising=False)
    config = parse_config({"producer": {}, "security": {"protocol": "SASL_SSL"}})
    with pytest.raises(ConfigError) as err:
        config.producer.client_settings()
    assert "KAFKA_PASSWORD is not set" in err.value.cause


def test_topic_functions_and_the_view_take_a_config_with_credentials(sasl_broker, monkeypatch, unique):
    from helpers import capture_produced, create_topic
    from helpers.client.topic_state import read_topic_state

    monkeypatch.setenv("KAFKA_USERNAME", "learner")
    monkeypatch.setenv("KAFKA_PASSWORD", __import__("os").environ["CODEALONG_SASL_PASSWORD"])
    producer = secured(sasl_broker)
    topic = f"secured-{unique}"
    create_topic(producer.config, topic, partitions=2)  # the config's endpoints and credentials
    with capture_produced(topic, producer.config.connection) as captured:
        producer.produce(topic, "Franz Kafka", key="Metamorphosis")
    state = read_topic_state(producer.config, topic)
    producer.close()
    assert captured.pairs() == [("Metamorphosis", "Franz Kafka")]
    assert sum(p.next_offset for p in state.partitions) == 1
