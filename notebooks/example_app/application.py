"""The seed's Application: which consumers run in which environment."""
from pathlib import Path

from helpers import Application, load_config

HERE = Path(__file__).parent


def start(env="prod"):
    """prod: the consumer; test: nothing; dev: the audit consumer and the consumer."""
    app = Application(load_config(HERE / "consumer.toml"))
    app.start(env)
    return app
