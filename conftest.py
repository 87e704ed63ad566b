"""nbval executes and compares the SOLVED edition of each chapter (notebooks/.NN_name.ipynb); the
learner edition (notebooks/NN_name.ipynb) holds no answers, and a test runs it unsolved."""
import re


def pytest_ignore_collect(collection_path, config):
    return bool(re.fullmatch(r"[0-9][0-9]_.*\.ipynb", collection_path.name)) and \
        collection_path.parent.name == "notebooks"
