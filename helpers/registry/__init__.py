"""The embedded schema registry: Apicurio Registry 3 (Confluent-compatible API), pinned by
SHA-256 and fetched on first use, run on a Java 21+ on loopback, its schemas kept in our Kafka."""
from .archive import resolve_registry
from .errors import RegistryError
from .java import find_registry_java
from .registry import URL_VARIABLE, LocalRegistry, RegistryStartReport, ensure_registry, registry_url

__all__ = ["LocalRegistry", "RegistryStartReport", "RegistryError", "ensure_registry", "find_registry_java",
           "resolve_registry", "registry_url", "URL_VARIABLE"]
