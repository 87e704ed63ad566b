"""The widgets, built and driven headless (clicks and typed values) against the real broker,
and the plain functions under them: topic state, key spread, bulk sends, plots."""
from __future__ import annotations

import time

import pytest
from confluent_kafka.admin import AdminClient

from conftest import read_topic
from helpers import OK, ConsumerWorker, ProduceError, SyncProducer, create_topic
from helpers.client.partitioner import md5_partition, partition_counts
from helpers.course.plots import plot_lag, plot_latency, plot_partition_counts
from helpers.client.topic_state import UnknownTopic, read_topic_state
from helpers.course.drawing import draw_topic_state
from helpers.client.errors import BrokerUnreachable, CodealongError
from helpers.client.retry import RetryPolicy
from helpers.course.widgets import ConsumerPanel, ProducerForm, TopicView


@pytest.fixture
def topic(kafka, unique):
    name = f"widgets-{unique}"
    create_topic(kafka, name, partitions=3)
    return name


@pytest.fixture
def closing():
    """Widgets made in a test are closed after it, even when it fails."""
    made = []
    yield lambda widget: made.append(widget) or widget
    for widget in made:
        widget.close()


def wait_until(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


# ---- producer form ------------------------------------------------------------------------
def test_clicking_send_writes_the_message_and_shows_where(kafka, topic, closing):
    form = closing(ProducerForm(kafka, topic=topic))
    form.send_button.click()
    assert form.last_error is None and len(form.deliveries) == 1
    delivery = form.deliveries[0]
    assert delivery.partition == md5_partition("Metamorphosis", 3)
    assert f"partition <b>{delivery.partition}</b> at offset <b>{delivery.offset}</b>" in form.result.value
    [stored] = read_topic(kafka, topic, 1)
    assert (stored["key"], stored["value"], stored["partition"]) == ("Metamorphosis", "Franz Kafka",
                                                                     delivery.partition)
    assert repr(form) == (f"ProducerForm(topic={topic!r}, key='Metamorphosis', value='Franz Kafka', "
                          "partitioner='md5', sent=1)")


def test_typed_values_and_the_random_partitioner_are_used(kafka, topic, closing):
    form = closing(ProducerForm(kafka, topic=topic))
    form.strategy.value = "random"
    form.key.value = ""  # empty key field: a message without a key
    form.value.value = "The Trial"
    partitions = {form.send().partition for _ in range(30)}
    stored = read_topic(kafka, topic, 30)
    assert {m["key"] for m in stored} == {None} and {m["value"] for m in stored} == {"The Trial"}
    assert len(partitions) > 1  # 30 random picks over 3 partitions; all on one has odds 3 ** -29


def test_the_topic_name_is_checked_as_you_type(kafka, unique, closing):
    form = closing(ProducerForm(kafka, topic=f"ok-{unique}"))
    assert "valid topic name" in form.topic_check.value and not form.send_button.disabled
    form.topic.value = f"my topic {unique}"
    assert "refuse" in form.topic_check.value and "' '" in form.topic_check.value.replace("&#x27;", "'")
    assert form.send_button.disabled
    assert form.send() is None and form.deliveries == []
    assert f"my topic {unique}" not in AdminClient({"bootstrap.servers": kafka}).list_topics(timeout=10).topics
    form.topic.value = f"my_topic_{unique}"
    assert not form.send_button.disabled


def test_a_broker_that_is_down_shows_the_error_and_its_fix_within_the_deadline(scratch_cluster, closing):
    form = closing(ProducerForm(scratch_cluster.bootstrap, topic="nowhere", timeout_s=3))
    began = time.monotonic()
    form.send_button.click()
    assert time.monotonic() - began < 10
    assert isinstance(form.last_error, ProduceError) and form.deliveries == []
    assert "Fix:" in form.result.value and "codealong broker" in form.result.value
    assert not form.send_button.disabled  # ready to try again once the broker is up


# ---- consumer panel -----------------------------------------------------------------------
def test_messages_appear_in_the_panel_with_the_handlers_result(kafka, topic, unique, closing):
    panel = closing(ConsumerPanel(kafka, topics=(topic,), group=f"panel-{unique}"))
    panel.start_button.click()
    assert "running; owns" in panel.status.value and panel.stop_button.disabled is False
    form = closing(ProducerForm(kafka, topic=topic))
    form.send_button.click()
    [message] = panel.wait_for(1, timeout=15)
    assert (message["key"], message["value"]) == ("Metamorphosis", "Franz Kafka")
    assert "<b>1</b> received, <b>1</b> confirmed" in panel.table.value
    assert "<td>Metamorphosis</td><td>Franz Kafka</td>" in panel.table.value
    assert panel.text().splitlines() == ["1 received, 1 confirmed",
                                         f"  {topic}[{message['partition']}] 'Metamorphosis': 'Franz Kafka' -> ok"]
    panel.stop_button.click()
    assert panel.worker.state == "stopped" and not panel.start_button.disabled


def test_a_failing_handler_shows_in_the_panel_and_the_message_comes_again(kafka, topic, unique, closing):
    failures = []

    def flaky(message):
        if not failures:
            failures.append(message["offset"])
            raise RuntimeError("database away")
        return OK
    panel = closing(ConsumerPanel(kafka, topics=(topic,), group=f"flaky-{unique}", handler=flaky).start())
    SyncProducer(endpoints=[kafka]).produce_sync(topic, "k", "v")
    assert panel.wait_for(1, timeout=20)
    outcomes = [line.split(" -> ")[1] for line in panel.text().splitlines()[1:]]
    assert outcomes == ["raised RuntimeError: database away", "ok"]
    assert panel.received == 2 and panel.confirmed == 1
    assert "running again (after retry 1)" in panel.status.value


def test_a_consumer_that_gives_up_says_why_in_the_panel(kafka, topic, unique, closing):
    def broken(message):
        raise ValueError("cannot parse")
    panel = closing(ConsumerPanel(kafka, topics=(topic,), group=f"broken-{unique}", handler=broken,
                                  retry=RetryPolicy(1, 60, (0.05, 0.1))).start())
    SyncProducer(endpoints=[kafka]).produce_sync(topic, "k", "v")
    assert wait_until(lambda: "gave up" in panel.status.value, timeout=30)
    assert "cannot parse" in panel.status.value and "Fix:" in panel.status.value
    assert not panel.start_button.disabled and panel.confirmed == 0


def test_a_panel_started_again_after_giving_up_survives_a_failure(kafka, topic, unique, closing):
    """Each start gets a fresh retry policy: the failures that made the last run give up do not count."""
    failures = []

    def fails_three_times(message):
        if len(failures) < 3:
            failures.append(message["offset"])
            raise RuntimeError(f"failure {len(failures)}")
        return OK
    panel = closing(ConsumerPanel(kafka, topics=(topic,), group=f"again-{unique}", handler=fails_three_times,
                                  earliest=True, retry=RetryPolicy(1, 60, (0.05, 0.1))).start())
    SyncProducer(endpoints=[kafka]).produce_sync(topic, "k", "v")
    assert wait_until(lambda: "gave up" in panel.status.value, timeout=30)  # failures 1 and 2
    panel.start_button.click()
    assert len(panel.wait_for(1, timeout=20)) == 1  # failure 3 was retried, then confirmed
    assert len(failures) == 3 and panel.confirmed == 1
    assert panel.retry.recent_failures == 0  # each start used its own copy; the panel's own is untouched


def test_starting_a_second_panel_of_the_same_name_replaces_the_first(kafka, topic, unique, closing):
    first = closing(ConsumerPanel(kafka, topics=(topic,), group=f"twice-{unique}").start())
    second = closing(ConsumerPanel(kafka, topics=(topic,), group=f"twice-{unique}").start())
    assert not first.worker.is_alive() and "replaced" in first.status.value
    assert ConsumerWorker.running[second.name] is second.worker and second.worker.is_alive()
    assert sorted(p for _, p in second.worker.assignment) == [0, 1, 2]  # the only member left


def test_wait_for_before_start_names_the_fix(kafka, topic, closing):
    panel = closing(ConsumerPanel(kafka, topics=(topic,)))
    with pytest.raises(CodealongError, match="Click Start"):
        panel.wait_for(1, timeout=1)


# ---- topic view ---------------------------------------------------------------------------
def test_topic_view_shows_offsets_commits_and_lag(kafka, topic, unique, closing, consumer_config):
    group = f"view-{unique}"
    producer = SyncProducer(endpoints=[kafka])
    deliveries = producer.produce_sync(topic, [(f"key-{i}", f"value-{i}") for i in range(12)])
    with ConsumerWorker(consumer_config(topic, consumer_group=group), lambda message: OK, name=group) as worker:
        assert len(worker.wait_for(12, timeout=20)) == 12
    view = closing(TopicView(kafka, topic, group=group, latest=2))
    view.refresh_button.click()
    per_partition = {p: sum(d.partition == p for d in deliveries) for p in range(3)}
    for state in view.state.partitions:
        assert state.next_offset == per_partition[state.partition]
        assert state.committed == per_partition[state.partition] and state.lag == 0
        assert len(state.latest) == min(2, per_partition[state.partition])
    producer.produce_sync(topic, [(f"late-{i}", "x") for i in range(5)])  # nobody consumes these
    view.refresh()
    assert view.state.total_lag == 5 and [lag for _, lag in view.history] == [0, 5]
    assert "lag" in view.picture.value and "late-4" in view.picture.value
    assert "late-4" in view.text() and view.text() == draw_topic_state(view.state)


def test_the_refresh_timer_runs_while_ticked_and_stops_when_closed(kafka, topic, closing):
    view = closing(TopicView(kafka, topic, every_s=0.2))
    view.auto.value = True
    assert wait_until(lambda: len(view.history) >= 3, timeout=15)
    view.auto.value = False
    assert not view.timer_running
    count = len(view.history)
    time.sleep(0.6)
    assert len(view.history) == count  # no refresh after unticking
    view.auto.value = True
    assert wait_until(lambda: len(view.history) > count)
    view.close()
    assert not view.timer_running and view.auto.value is False


def test_a_missing_topic_shows_the_error_and_its_fix(kafka, unique, closing):
    view = closing(TopicView(kafka, f"absent-{unique}"))
    assert view.refresh() is None and isinstance(view.last_error, UnknownTopic)
    assert "does not exist" in view.picture.value and "create_topic" in view.picture.value


def test_group_members_splitting_partitions_are_named(kafka, topic, unique, consumer_config):
    group = f"split-{unique}"
    config = consumer_config(topic, consumer_group=group)
    workers = [ConsumerWorker(config, lambda message: OK, name=name) for name in (group, f"{group}-b")]
    try:
        for worker in workers:
            worker.start()
        assert wait_until(lambda: sum(len(w.assignment) for w in workers) == 3 and all(w.assignment
                                                                                       for w in workers))
        state = read_topic_state(kafka, topic, group)
        assert state.members == {w.name: sorted(p for _, p in w.assignment) for w in workers}
    finally:
        for worker in workers:
            worker.stop()


# ---- plain functions and plots ------------------------------------------------------------
def test_partition_counts_follow_each_strategy():
    keys = [f"user-{i}" for i in range(300)]
    md5 = partition_counts(keys, 4)
    assert md5 == [sum(md5_partition(k, 4) == p for k in keys) for p in range(4)]
    assert partition_counts(["same"] * 50, 4) == [50 if p == md5_partition("same", 4) else 0 for p in range(4)]
    spread = partition_counts(["same"] * 400, 4, "random")
    assert sum(spread) == 400 and min(spread) > 50  # one key, yet random spreads it


def test_plots_draw_what_they_are_given():
    keys = [f"user-{i}" for i in range(100)]
    bars = plot_partition_counts(keys, 3).axes[0].patches
    assert [int(b.get_height()) for b in bars[:3]] == partition_counts(keys, 3)
    line = plot_lag([(10.0, 8), (10.5, 3), (11.0, None), (12.0, 0)]).axes[0].lines[0]
    assert list(line.get_xdata()) == [0.0, 0.5, 2.0] and list(line.get_ydata()) == [8, 3, 0]
    axes = plot_latency({"helpers": [1.0, 2.0, 2.5, 40.0], "raw": [0.9, 1.1]}).axes[0]
    assert sum(p.get_height() for p in axes.patches) == 6
    assert "p50" in axes.get_legend().get_texts()[0].get_text()


def test_produce_many_sends_everything_in_chunks(kafka, topic):
    deliveries = SyncProducer(endpoints=[kafka]).produce_many(topic, [(f"k{i}", "v") for i in range(250)],
                                                              chunk=40, progress=False)
    assert len(deliveries) == 250
    for p in range(3):
        offsets = [d.offset for d in deliveries if d.partition == p]
        assert offsets == list(range(len(offsets)))  # in order, no gaps
    assert len(read_topic(kafka, topic, 250)) == 250


def test_produce_many_reports_what_was_written_before_a_failure(kafka, topic):
    producer = SyncProducer(endpoints=[kafka], client_settings={"message.max.bytes": 2_000_000})
    messages = [(f"k{i}", "v") for i in range(50)] + [("big", "x" * 1_500_000)]
    with pytest.raises(ProduceError) as caught:
        producer.produce_many(topic, messages, chunk=20, progress=False)
    assert caught.value.code == "MSG_SIZE_TOO_LARGE"
    assert len(caught.value.delivered) == 50  # two full chunks and the good part of the third


def test_read_topic_state_of_an_unknown_topic_names_the_fix(kafka, unique):
    with pytest.raises(UnknownTopic, match="create_topic"):
        read_topic_state(kafka, f"absent-{unique}")


def test_waiting_until_the_group_caught_up_records_the_lag_draining(kafka, topic, unique, closing, consumer_config):
    group = f"drain-{unique}"
    SyncProducer(endpoints=[kafka]).produce_many(topic, [(f"k{i}", "v") for i in range(200)], progress=False)
    view = closing(TopicView(kafka, topic, group=group))
    assert view.wait_until_caught_up(timeout=1) is False  # nobody consumes yet
    assert view.history[0][1] == 200  # never committed: every stored message counts as lag

    def slow(message):
        time.sleep(0.01)
        return OK
    with ConsumerWorker(consumer_config(topic, consumer_group=group), slow, name=group):
        assert view.wait_until_caught_up(timeout=60, every_s=0.2)
    lags = [lag for _, lag in view.history if lag is not None]
    assert lags[-1] == 0 and max(lags) > 0
    assert all(p.committed == p.next_offset for p in view.state.partitions)


def test_the_timer_survives_a_broker_that_goes_away_and_recovers(scratch_cluster, unique, closing):
    scratch_cluster.start()
    topic = f"comeback-{unique}"
    create_topic(scratch_cluster.bootstrap, topic)
    view = closing(TopicView(scratch_cluster.bootstrap, topic, every_s=0.2, timeout_s=2))
    view.auto.value = True
    assert wait_until(lambda: view.state is not None)
    scratch_cluster.stop()
    assert wait_until(lambda: view.last_error is not None, timeout=20)
    assert isinstance(view.last_error, BrokerUnreachable) and "Fix:" in view.picture.value
    assert view.timer_running and view.auto.value is True  # the checkbox tells the truth
    scratch_cluster.start()
    assert wait_until(lambda: view.last_error is None, timeout=30)
    assert view.timer_running and f"topic <b>{topic}</b>" in view.picture.value
