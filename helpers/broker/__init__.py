"""The embedded Apache Kafka broker: real Kafka 4.x (KRaft) from Maven jars, on loopback."""
from .cluster import LocalCluster, StartReport, ensure_broker, probe_metadata
from .jars import resolve_jars
from .prerequisites import check_java, check_maven

__all__ = ["LocalCluster", "StartReport", "ensure_broker", "probe_metadata", "resolve_jars",
           "check_java", "check_maven"]
