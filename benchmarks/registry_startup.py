"""How long the schema registry (Apicurio Registry on its Java 21+) takes to answer, and its memory.

Cold start: a fresh registry folder and a fresh journal topic (the archive already fetched and
unpacked; unpacking it is timed on its own); warm start: the same registry started again. Each is measured to the first answer of
its Confluent-compatible API (wall seconds, and the JVM's own CPU seconds, which the machine's
other load disturbs less), with its resident memory a second later. Variants, run interleaved so
a busy machine hurts each alike: no archive; Java 25's AOT cache (-XX:AOTCacheOutput on a training
run, then -XX:AOTCache); a dynamic class-data archive (-XX:+AutoCreateSharedArchive). Every run has
its own Kafka, folders and ports: a running codealong registry is not touched.

    python -m benchmarks.registry_startup [--repeat 3] [--only "AOT cache"]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psutil

from helpers import settings
from helpers.broker import LocalCluster
from helpers.broker.cluster import free_ports
from helpers.registry import LocalRegistry, find_registry_java
from helpers.registry import process as registry_process
from helpers.registry.archive import archive_path, fetch_archive, resolve_registry

SETTLE_S = 1.0  # RSS a second after the first answer, once start-up's burst is over


@contextmanager
def jvm_options(options: list[str]):
    """Launch registries with these extra JVM options (benchmark only: the registry has no such knob)."""
    original = registry_process.RegistryProcess.launch

    def launch(self, java, install, properties, extra=()):
        return original(self, java, install, properties, [*extra, *options])
    registry_process.RegistryProcess.launch = launch
    try:
        yield
    finally:
        registry_process.RegistryProcess.launch = original


def measured_start(registry: LocalRegistry, bootstrap: str, options: list[str]) -> dict[str, float]:
    with jvm_options(options):
        began = time.monotonic()
        report = registry.start(bootstrap)
        wall = time.monotonic() - began
    jvm = psutil.Process(report.pid)
    cpu = jvm.cpu_times()
    time.sleep(SETTLE_S)
    rss = jvm.memory_info().rss / 2**20
    registry.stop()
    return {"wall": wall, "cpu": cpu.user + cpu.system, "rss": rss}


def variants(folder: Path) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (options of the run that makes the archive, options of the runs that use it)."""
    aot, jsa = folder / "registry.aot", folder / "registry.jsa"
    dynamic = [f"-XX:SharedArchiveFile={jsa}", "-XX:+AutoCreateSharedArchive"]
    return {"no archive": ([], []),
            "AOT cache": ([f"-XX:AOTCacheOutput={aot}"], [f"-XX:AOTCache={aot}"]),
            "dynamic CDS": (dynamic, dynamic)}


def unpack_seconds(repeat: int) -> list[float]:
    """A first start's extra step once the archive is in the cache: unpacking it (about 160 MB)."""
    shared = fetch_archive(settings.cache_dir())
    seconds = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp)
            archive_path(cache).parent.mkdir(parents=True)
            shutil.copyfile(shared, archive_path(cache))
            began = time.monotonic()
            resolve_registry(cache, offline=True)
            seconds.append(time.monotonic() - began)
    return seconds


def run(repeat: int, only: tuple[str, ...] = ()) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kafka = LocalCluster(port=free_ports(3), state_dir=folder / "kafka")
        bootstrap = kafka.start().bootstrap
        try:
            chosen = {name: options for name, options in variants(folder).items()
                      if not only or name == "no archive" or name in only}
            sizes = {}
            for name, (train, _) in chosen.items():  # the archive-making run (also a cold start)
                trainer = LocalRegistry(port=free_ports(2), state_dir=folder / f"train-{uuid.uuid4().hex[:6]}",
                                        topic=f"bench-{uuid.uuid4().hex[:8]}")
                results.setdefault(name, {})["first (makes the archive)"] = [measured_start(trainer, bootstrap, train)["wall"]]
                made = {"AOT cache": folder / "registry.aot", "dynamic CDS": folder / "registry.jsa"}.get(name)
                sizes[name] = made.stat().st_size / 2**20 if made and made.exists() else 0.0
            for _ in range(repeat):
                for name, (_, use) in chosen.items():
                    registry = LocalRegistry(port=free_ports(2), state_dir=folder / f"r-{uuid.uuid4().hex[:6]}",
                                             topic=f"bench-{uuid.uuid4().hex[:8]}")
                    for kind in ("cold", "warm"):
                        for key, value in measured_start(registry, bootstrap, use).items():
                            results[name].setdefault(f"{kind} {key}", []).append(value)
            for name, size in sizes.items():
                results[name]["archive MiB"] = [size]
        finally:
            kafka.stop(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help='variants beside "no archive", e.g. "AOT cache"')
    args = parser.parse_args()
    print(f"Java: {find_registry_java().describe()}")
    unpacked = unpack_seconds(args.repeat)
    print(f"unpacking the cached archive (a first start's extra step): median {statistics.median(unpacked):.2f} s "
          f"of {[round(v, 2) for v in unpacked]}")
    results = run(args.repeat, tuple(v.strip() for v in args.only.split(",") if v.strip()))
    baseline = results["no archive"]
    for name, figures in results.items():
        print(f"{name}:")
        for figure, values in figures.items():
            median = statistics.median(values)
            base = statistics.median(baseline.get(figure, [0])) if name != "no archive" else 0
            ratio = f"  ({median / base:.2f}x no archive)" if base and figure != "archive MiB" else ""
            print(f"  {figure:28} median {median:7.2f} of {[round(v, 2) for v in values]}{ratio}")


if __name__ == "__main__":
    main()
