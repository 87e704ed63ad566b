"""Run the example outside Jupyter:  cd notebooks && python -m example_app

Starts the consumer, sends the Metamorphosis message, waits for the handler, stops.
"""
import logging
import sys

from . import application
from .example_producer import send_my_message

logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stdout)
logging.getLogger("helpers").setLevel(logging.WARNING)

app = application.start("prod")
try:
    [worker] = app.workers
    worker.wait_for_assignment(timeout=30)
    delivery = send_my_message(("Metamorphosis", "Franz Kafka"), "another_topic")
    handled = worker.wait_for(1, timeout=30)
    print(f"sent to {delivery.topic} partition {delivery.partition}; handled: {len(handled)} message(s)")
finally:
    app.stop()
