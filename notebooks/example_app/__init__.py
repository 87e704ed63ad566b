"""The seed's small application, rebuilt by the notebooks: config, consumer, producer, application."""
