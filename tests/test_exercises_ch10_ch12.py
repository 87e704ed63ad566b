"""The checks of chapters 10 and 12, each tested four ways (untouched, wrong, raising, right twice)
on the real broker, from the exercise's own clean slate; and the compaction figure."""
from __future__ import annotations

from xml.dom import minidom

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from exercise_ways import four_ways, passes
from helpers import SyncProducer, create_topic, recreate_topic
from helpers.client.deadline import Deadline
from helpers.client.partitioner import md5_partition, murmur2_partition
from helpers.course import exercises as ex
from helpers.course.demos.retention import watch_log
from helpers.course.exercises.framework import begin, predict, reveal
from helpers.course.figures.compaction import compaction

KEYS = ["ana", "ben", "eva", "josef", "milena", "ottla", "gregor", "karl"]   # the chapter's
JAVA_KEYS = ["franz", "felice", "ottla", "klamm"]                             # exercise 10.1's


def plain(kafka, **settings) -> Producer:
    return Producer({"bootstrap.servers": kafka, **settings})


def send(producer: Producer, topic: str, pairs, **kw) -> None:
    for key, value in pairs:
        producer.produce(topic, value=value, key=key, **kw)
    assert producer.flush(15) == 0


def fails(message: str):
    raise ValueError(message)


# ---- chapter 10 ---------------------------------------------------------------------------------
def test_the_exercise_keys_tell_a_hard_coded_partition_and_the_default_partitioner_apart():
    import zlib

    java = [murmur2_partition(key, 5) for key in JAVA_KEYS]
    assert len(set(java)) == len(JAVA_KEYS)                                   # no single partition fits all
    assert all(zlib.crc32(key.encode()) % 5 != p for key, p in zip(JAVA_KEYS, java))   # nor CRC32 (the default)
    assert murmur2_partition("dora", 4) != murmur2_partition("dora", 2)       # 10.2: dora moves when it grows


def test_10_1_each_key_where_java_puts_it(kafka, unique):
    topic = f"ex101-{unique}"
    answer = {}
    check = lambda: ex.lands_where_java_would(kafka, topic, JAVA_KEYS, "from Python",  # noqa: E731
                                              answer.get("java_like", ex.MISSING))

    def start():
        answer.clear()
        begin("10.1", kafka, fresh_topics=[topic], partitions=5, quiet=True)

    def attempt(**settings):
        answer["java_like"] = plain(kafka, **settings)
        send(answer["java_like"], topic, pairs)

    pairs = [(key, "from Python") for key in JAVA_KEYS]
    four_ways(check, start=start,
              wrong=lambda: attempt(),                                         # consistent_random: CRC32
              raising=lambda: plain(kafka, partitioner="murmur3"),             # no such partitioner
              right=lambda: attempt(partitioner="murmur2_random"))
    start()
    attempt()
    assert "CRC32" in check().message
    start()
    send(plain(kafka), topic, pairs, partition=0)                              # the hard-coded partition
    result = check()
    assert not passes(result) and "partition named" in result.message
    start()
    send(plain(kafka, partitioner="murmur2_random"), topic, pairs[:3])         # one key short
    assert "klamm" in check().message
    start()                                                                    # Java's partitions, by hand
    answer["java_like"] = plain(kafka)
    for key, value in pairs:
        answer["java_like"].produce(topic, value=value, key=key, partition=murmur2_partition(key, 5))
    answer["java_like"].flush(15)
    result = check()
    assert not passes(result) and "placed by hand" in result.message
    answer["java_like"] = SyncProducer(endpoints=[kafka], partition_strategy="murmur2")  # the helpers' producer
    result = check()
    assert not passes(result) and "not a confluent_kafka.Producer" in result.message
    answer.clear()
    assert "java_like is not defined" in check().message


def test_10_2_a_grown_topic_keeps_its_messages_and_moves_the_key(kafka, unique):
    topic = f"ex102-{unique}"
    admin = AdminClient({"bootstrap.servers": kafka})
    answer = {}
    check = lambda: ex.grown_topic(kafka, topic, 4, before=KEYS, key="dora",  # noqa: E731
                                   producer=answer.get("grown", ex.MISSING))

    def start():
        answer.clear()
        begin("10.2", kafka, fresh_topics=[topic], partitions=2, quiet=True)
        send(plain(kafka, partitioner="murmur2_random"), topic, [(key, "before") for key in KEYS])

    def grow(count=4):
        admin.create_partitions([NewPartitions(topic, count)])[topic].result(10)

    def remade():  # the old weak spot: a topic made again with 4 partitions, no growth
        recreate_topic(kafka, topic, partitions=4)
        answer["grown"] = plain(kafka, partitioner="murmur2_random")
        send(answer["grown"], topic, [("dora", "after")])

    def right():
        grow()
        answer["grown"] = plain(kafka, partitioner="murmur2_random")
        send(answer["grown"], topic, [("dora", "after")])

    four_ways(check, start=start, wrong=remade, raising=lambda: grow(1), right=right)
    start()
    remade()
    assert "made again, not grown" in check().message
    start()
    grow()
    assert "No message with key 'dora'" in check().message
    start()
    early = plain(kafka, partitioner="murmur2_random")                         # knows the topic with 2 partitions
    send(early, topic, [("eva", "early")])
    grow()
    send(early, topic, [("dora", "after")])
    assert "still counted 2" in check().message
    start()                                                                    # dora by a new producer, the old one named
    early = plain(kafka, partitioner="murmur2_random")
    send(early, topic, [("eva", "early")])
    grow()
    send(plain(kafka, partitioner="murmur2_random"), topic, [("dora", "after")])
    answer["grown"] = early
    result = check()
    assert not passes(result) and "still counts 2" in result.message
    start()                                                                    # by hand, default partitioner
    grow()
    answer["grown"] = plain(kafka)
    send(answer["grown"], topic, [("dora", "after")], partition=murmur2_partition("dora", 4))
    result = check()
    assert not passes(result) and "partitioner is not murmur2" in result.message


def test_10_3_predict_how_many_keys_move(kafka, unique):
    topic = f"ex103-{unique}"
    truth = sum(md5_partition(key, 2) != md5_partition(key, 4) for key in KEYS)
    check = lambda: ex.keys_moved(kafka, topic)  # noqa: E731

    def grows():  # the chapter's given cell, which shows the truth
        reveal("10.3")
        recreate_topic(kafka, topic, partitions=2)
        with SyncProducer(endpoints=[kafka]) as producer:
            for key in KEYS:
                producer.produce(topic, "before", key=key)
        admin = AdminClient({"bootstrap.servers": kafka})
        admin.create_partitions([NewPartitions(topic, 4)])[topic].result(10)
        with SyncProducer(endpoints=[kafka]) as producer:
            Deadline(10).until(lambda: producer.partitions_count(topic) == 4 or producer._partition_counts.clear())
            for key in KEYS:
                producer.produce(topic, "after", key=key)

    four_ways(check, start=lambda: begin("10.3", None, quiet=True),
              wrong=lambda: (predict("10.3", moved=len(KEYS)), grows()),
              raising=lambda: predict("10.3", moved=int("four")),
              right=lambda: (predict("10.3", moved=truth), grows()))
    assert truth == 4 and "hash % 2 + 2" in check().message
    begin("10.3", None, quiet=True)
    predict("10.3", moved=len(KEYS))
    result = check()
    assert not passes(result) and f"{truth} of {len(KEYS)} keys moved" in result.message
    begin("10.3", None, quiet=True)
    reveal("10.3")
    predict("10.3", moved=truth)                                               # too late: after the reveal
    assert "after the answer was shown" in check().message


# ---- chapter 12 ---------------------------------------------------------------------------------
def create_compacted(kafka, topic, policy="compact"):
    admin = AdminClient({"bootstrap.servers": kafka})
    admin.create_topics([NewTopic(topic, 1, 1, config={"cleanup.policy": policy})])[topic].result(10)
    # Created by the controller; listed by the broker a moment later (under load, after the check ran).
    assert Deadline(10).until(lambda: topic in admin.list_topics(timeout=5).topics, step=0.05)


def test_12_1_a_compacted_topic_made_with_the_admin_client(kafka, unique):
    topic = f"ex121-{unique}"
    check = lambda: ex.compacted_topic(kafka, topic)  # noqa: E731
    start = lambda: begin("12.1", kafka, absent_topics=[topic], quiet=True)  # noqa: E731
    four_ways(check, start=start, wrong=lambda: create_topic(kafka, topic),    # cleanup.policy=delete
              raising=lambda: create_compacted(kafka, topic, policy="compacted"),  # the broker refuses it
              right=lambda: create_compacted(kafka, topic))
    start()
    create_compacted(kafka, topic, policy="compact,delete")                    # compacts too
    assert passes(check()) and "compact,delete" in check().message
    start()                                                                    # one made before does not count
    assert not passes(check())


def test_12_2_a_tombstone_for_josef_after_his_value(kafka, unique):
    topic = f"ex122-{unique}"
    check = lambda: ex.tombstone_for(kafka, topic, "josef", "Brno")  # noqa: E731
    start = lambda: begin("12.2", kafka, fresh_topics=[topic], config={"cleanup.policy": "compact"},  # noqa: E731
                          quiet=True)
    four_ways(check, start=start,
              wrong=lambda: send(plain(kafka), topic, [("josef", "Brno"), ("ben", None)]),  # the old hint's key
              raising=lambda: plain(kafka, partitioner="nope"),
              right=lambda: send(plain(kafka), topic, [("josef", "Brno"), ("josef", None)]))
    start()
    send(plain(kafka), topic, [("josef", None)])                               # the tombstone without the send
    assert "No 'josef': 'Brno'" in check().message
    start()
    send(plain(kafka), topic, [("josef", None), ("josef", "Brno")])            # the wrong way round
    assert "still has a value: 'Brno'" in check().message


FAST_COMPACTION = {"cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.01",
                   "min.compaction.lag.ms": "0", "delete.retention.ms": "1000"}
PROFILE_CHANGES = [("ana", "Prague"), ("ben", "Vienna"), ("ana", "Berlin"), ("ben", None), ("eva", "Paris")]


def test_12_3_predict_the_offsets_compaction_keeps(kafka, unique):
    topic = f"ex123-{unique}"
    check = lambda: ex.compaction_offsets(kafka, topic)  # noqa: E731

    def start():
        begin("12.3", kafka, fresh_topics=[topic], config=FAST_COMPACTION, quiet=True)
        send(plain(kafka), topic, PROFILE_CHANGES)

    def cleans():  # the chapter's given cell, which shows the truth
        reveal("12.3")
        watch_log(kafka, topic, read=True, timeout=30, until=lambda s: [r[1] for r in s.records] == ["ana", "eva"])

    four_ways(check, start=start, wrong=lambda: (predict("12.3", offsets=[4]), cleans()),
              raising=lambda: fails("a typo before the prediction"),
              right=lambda: (predict("12.3", offsets=(4, 2)), cleans()))
    assert "offsets [2, 4]" in check().message
    start()
    predict("12.3", offsets=[2, 3, 4])
    assert "not done yet" in check().message                                   # nothing rolled: nothing cleaned
    cleans()
    result = check()
    assert not passes(result) and "its tombstone too" in result.message
    start()
    predict("12.3", offsets=2)
    assert "not a list of offsets" in check().message


# ---- the compaction figure ----------------------------------------------------------------------
def test_the_compaction_figure_draws_each_record_at_its_offset():
    written = [(offset, key, value) for offset, (key, value) in enumerate(PROFILE_CHANGES)]
    figure = compaction([("as written", written), ("after the first cleaning", written[2:]),
                         ("after delete.retention.ms", [written[2], written[4]])])
    svg = figure.to_svg()
    minidom.parseString(svg)                                                   # valid XML
    for label in ("offset 0", "ana: Prague", "ben: tombstone", "(removed)", "after the first cleaning",
                  "delete.retention.ms", "a reader gets 2, then 4"):
        assert label in svg, label
    assert svg.count("(removed)") == 2 + 3                                     # 0, 1 then 0, 1, 3
    assert repr(figure) == "[figure: Compaction: the latest record of each key stays, at its offset]"


# ---- in a workshop: the learner's prefix, as the chapters' plain-client cells write it ------------
def test_in_a_workshop_the_checks_read_the_learners_own_topics(kafka, unique):
    from helpers.client.names import learner_scope
    from helpers.course.chapter import Chapter

    chapter = Chapter(10, kafka, f"w{unique}", 15)
    with learner_scope(f"w{unique}"):
        begin("10.1", kafka, fresh_topics=["exercise_java"], partitions=5, quiet=True)
        java_like = Producer(chapter.client_config({"partitioner": "murmur2_random"}))
        send(java_like, chapter.topic("exercise_java"), [(key, "from Python") for key in JAVA_KEYS])
        assert passes(ex.lands_where_java_would(kafka, "exercise_java", JAVA_KEYS, "from Python", java_like))
        begin("12.1", kafka, absent_topics=["exercise_profiles"], quiet=True)
        create_compacted(kafka, chapter.topic("exercise_profiles"))
        assert chapter.topic("exercise_profiles") == f"w{unique}.exercise_profiles"
        assert passes(ex.compacted_topic(kafka, "exercise_profiles"))
