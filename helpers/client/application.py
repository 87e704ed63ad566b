"""The seed's Application: which consumer workers run in which environment.

In the seed, the Elixir application starts Kaffe's consumer under a one_for_one supervisor,
and picks its children by environment: prod runs the consumer, test runs nothing, dev runs
another app and the consumer. Here each worker supervises itself; the application starts
the right ones and stops them all.
"""
from __future__ import annotations

from typing import Callable

from .config import CodealongConfig, ConfigError
from .consumer import ConsumerWorker

ENVIRONMENTS = ("prod", "test", "dev")


class Application:
    """Start the workers for an environment; ``stop()`` stops every one of them."""

    def __init__(self, config: CodealongConfig, *, extra_dev_workers: list[Callable[[], object]] = ()):
        self.config = config
        self.extra_dev_workers = list(extra_dev_workers)
        self.workers: list = []

    def children(self, env: str) -> list:
        """The workers (not yet started) for `env`, in start order."""
        if env not in ENVIRONMENTS:
            raise ConfigError(f"Unknown environment {env!r}.", f"Use one of {', '.join(ENVIRONMENTS)}.")
        consumer = lambda: ConsumerWorker(self.config.consumer, name="consumer")  # noqa: E731
        if env == "prod":
            return [consumer()]
        if env == "test":
            return []  # tests start what they need themselves
        others = [make() for make in self.extra_dev_workers]
        others += [ConsumerWorker(cfg, name=name) for name, cfg in self.config.consumers.items() if name != "consumer"]
        return [*others, consumer()]

    def start(self, env: str) -> list:
        self.stop()
        self.workers = self.children(env)
        for worker in self.workers:
            worker.start()
        return self.workers

    def stop(self, timeout: float = 10.0) -> None:
        for worker in reversed(self.workers):
            worker.stop(timeout)
        self.workers = []
