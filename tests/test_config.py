"""Config parsing and translation (no broker needed)."""
from __future__ import annotations

import pytest

from helpers.client.config import (ConfigError, ConsumerConfig, ProducerConfig, as_connection, load_config,
                            parse_config, resolve_handler, with_overrides)

SEED = {
    "producer": {"endpoints": {"localhost": 9092}, "topics": ["our_topic", "another_topic"]},
    "consumer": {"endpoints": ["localhost:9092"], "topics": ["our_topic", "another_topic"],
                 "consumer_group": "example-consumer-group", "message_handler": "json:dumps"},
}


def with_consumer(**changes) -> dict:
    return {"consumer": {**SEED["consumer"], **changes}}


def test_the_seeds_config_translates_to_confluent_kafka_settings(monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    config = parse_config(SEED)
    producer = config.producer.client_settings()
    assert producer["bootstrap.servers"] == "localhost:9092"
    assert producer["enable.idempotence"] is True and producer["acks"] == "all"
    assert producer["message.timeout.ms"] == 8500  # inside the call's 10 s deadline, by the client's 1 s tick and more
    consumer = config.consumer.client_settings()
    assert consumer["group.id"] == "example-consumer-group"
    assert consumer["enable.auto.offset.store"] is False
    assert consumer["auto.offset.reset"] == "latest"  # Kaffe's default: start_with_earliest_message false
    assert config.producer.topics == ("our_topic", "another_topic")


def test_bootstrap_variable_is_a_default_never_an_override(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker-a:9092,broker-b:9092")
    named = parse_config(SEED)  # the seed's blocks name localhost:9092: that wins
    assert named.producer.client_settings()["bootstrap.servers"] == "localhost:9092"
    assert named.consumer.client_settings()["bootstrap.servers"] == "localhost:9092"
    unnamed = parse_config({"producer": {}}).producer
    assert unnamed.endpoints == ("broker-a:9092", "broker-b:9092")
    assert ProducerConfig(endpoints=["elsewhere:1"]).connection.bootstrap == "elsewhere:1"
    assert as_connection(None).bootstrap == "broker-a:9092,broker-b:9092"
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS")
    assert ProducerConfig().endpoints == ("127.0.0.1:9092",)


@pytest.mark.parametrize("make, in_cause, in_fix", [
    (lambda: ProducerConfig(timeout_s="10"), "timeout_s must be a number, not str '10'", "timeout_s"),
    (lambda: ProducerConfig(timeout_s=0), "timeout_s is 0.0; it must be from 0.1 to 3600", "seconds"),
    (lambda: ConsumerConfig(decode="txt"), "decode is 'txt'", '"text" or "bytes"'),
    (lambda: ConsumerConfig(max_batch_size=0), "max_batch_size is 0; it must be from 1 to 100000", "max_batch_size"),
    (lambda: ConsumerConfig(session_timeout_ms=True), "session_timeout_ms must be an integer", "session_timeout_ms"),
    (lambda: ProducerConfig(compression="brotli"), "compression is 'brotli'", '"zstd"'),
    (lambda: ProducerConfig(topics=["our topic"]), "Invalid topic name 'our topic'", "our_topic"),
    (lambda: with_overrides(ProducerConfig(), timeot_s=3), "Unknown key 'timeot_s' in [producer]",
     "Did you mean 'timeout_s'"),
    (lambda: with_overrides(ConsumerConfig(), decode="txt"), "decode is 'txt'", '"text" or "bytes"'),
    (lambda: parse_config({"consumers": {"audit": {**SEED["consumer"], "max_batch_size": -1}}}),
     "[consumers.audit] max_batch_size is -1", "max_batch_size"),
    (lambda: as_connection(9092), "Cannot tell where Kafka is from a int", "bootstrap string"),
])
def test_every_way_of_building_a_config_is_checked(make, in_cause, in_fix):
    with pytest.raises(ConfigError) as err:
        make()
    assert in_cause in err.value.cause
    assert in_fix in err.value.fix


def test_optional_and_converted_values_are_accepted():
    config = parse_config({"security": {"ssl_ca_location": "/ca.pem"}, "producer": {"timeout_s": 3}})
    assert config.producer.security.ssl_ca_location == "/ca.pem"
    assert config.producer.timeout_s == 3.0 and isinstance(config.producer.timeout_s, float)
    assert ProducerConfig(endpoints="a:1,b:2").endpoints == ("a:1", "b:2")
    assert with_overrides(ConsumerConfig(), topics=("t",)).topics == ("t",)


def test_load_config_reads_toml(tmp_path):
    path = tmp_path / "kafka.toml"
    path.write_text('[consumer]\ntopics = ["t"]\nconsumer_group = "g"\nmessage_handler = "json:dumps"\n'
                    'start_with_earliest_message = true\n\n[consumers.audit]\ntopics = ["t"]\n'
                    'consumer_group = "audit"\nmessage_handler = "json:loads"\n')
    config = load_config(path)
    assert config.consumer.auto_offset_reset() == "earliest"
    assert set(config.consumers) == {"consumer", "audit"}


@pytest.mark.parametrize("data, in_cause, in_fix", [
    (with_consumer(consumer_grup="g"), "Unknown key 'consumer_grup' in [consumer]", "Did you mean 'consumer_group'"),
    ({"produser": {}}, "Unknown key 'produser'", "Did you mean 'producer'"),
    (with_consumer(topics="our_topic"), "topics must be a list of topic names", "Write topics as"),
    (with_consumer(start_with_earliest_message="yes"), "must be true or false", "start_with_earliest_message"),
    (with_consumer(endpoints=["localhost"]), 'endpoints must be a list of "host:port"', "endpoints"),
    (with_consumer(offset_reset_policy="earliest"), "offset_reset_policy is 'earliest'", "reset_to_earliest"),
    (with_consumer(start_with_earliest_message=True, offset_reset_policy="reset_to_latest"), "contradicts",
     "Keep one of them"),
    ({"consumer": {"topics": ["t"], "message_handler": "json:dumps"}}, "has no consumer_group", "Add consumer_group"),
    (with_consumer(decode="utf8"), "decode is 'utf8'", '"text" or "bytes"'),
    ({"producer": {"partition_strategy": "round_robin"}}, "partition_strategy is 'round_robin'", "md5"),
    ({"producer": {"timeout_s": True}}, "timeout_s must be a number", "timeout_s"),
    ({"producer": {"password": "hunter2"}}, "holds a password", "KAFKA_PASSWORD"),
    ({"security": {"protocol": "SASL_TLS"}}, "protocol is 'SASL_TLS'", "SASL_SSL"),
    ({"security": {"sasl_mechanism": "SCRAM"}}, "sasl_mechanism is 'SCRAM'", "SCRAM-SHA-256"),
])
def test_bad_config_names_the_key_and_the_fix(data, in_cause, in_fix):
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert in_cause in err.value.cause
    assert in_fix in err.value.fix
    assert "hunter2" not in str(err.value)


def test_invalid_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[consumer\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def test_sasl_credentials_come_from_the_environment_only(monkeypatch):
    data = {**SEED, "security": {"protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                                 "username_env": "MY_KAFKA_USER", "password_env": "MY_KAFKA_SECRET"}}
    monkeypatch.delenv("MY_KAFKA_USER", raising=False)
    monkeypatch.delenv("MY_KAFKA_SECRET", raising=False)
    config = parse_config(data)
    with pytest.raises(ConfigError) as err:
        config.producer.client_settings()
    assert "MY_KAFKA_USER and MY_KAFKA_SECRET are not set" in err.value.cause
    monkeypatch.setenv("MY_KAFKA_USER", "learner")
    monkeypatch.setenv("MY_KAFKA_SECRET", "s3cr3t-value")
    settings = config.consumer.client_settings()
    assert settings["security.protocol"] == "SASL_SSL" and settings["sasl.mechanisms"] == "SCRAM-SHA-512"
    assert settings["sasl.password"] == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(config)


def test_handler_resolution_errors_name_the_problem():
    assert resolve_handler("json:dumps")({"a": 1}) == '{"a": 1}'
    with pytest.raises(ConfigError, match="module 'no_such_module' cannot be imported"):
        resolve_handler("no_such_module:handle_message")
    with pytest.raises(ConfigError, match="json has no 'handle_message'"):
        resolve_handler("json:handle_message")
    with pytest.raises(ConfigError, match="neither a callable"):
        resolve_handler("handle_message")


@pytest.mark.parametrize("make, harmless", [
    (lambda: ProducerConfig(), {"timeout_s": 3}),
    (lambda: ConsumerConfig(consumer_group="g"), {"max_batch_size": 3}),
])
def test_the_environments_login_never_follows_a_chained_override_to_other_endpoints(monkeypatch, make, harmless):
    """replace() used to drop the mark "security came from the environment", so a second
    override kept the environment's SASL login for a cluster it does not belong to."""
    from dataclasses import replace

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("KAFKA_USERNAME", "learner")
    monkeypatch.setenv("KAFKA_PASSWORD", "s3cr3t-value")
    config = with_overrides(make(), **harmless)  # its own cluster: the environment's login
    assert config.client_settings()["sasl.username"] == "learner"
    for elsewhere in (with_overrides(config, endpoints=["127.0.0.1:19092"]),
                      replace(config, endpoints=("127.0.0.1:19092",))):
        settings = elsewhere.client_settings()
        assert settings["security.protocol"] == "PLAINTEXT"
        assert not [key for key in settings if key.startswith("sasl.")]
        back = with_overrides(elsewhere, endpoints=["127.0.0.1:9092"])  # home again: the login again
        assert back.client_settings()["sasl.username"] == "learner"


def test_config_error_lives_in_errors_and_is_the_same_everywhere():
    import helpers
    from helpers.client import errors

    assert ConfigError is errors.ConfigError is helpers.ConfigError
