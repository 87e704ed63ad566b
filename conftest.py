"""nbval executes and compares the SOLVED edition of each chapter (notebooks/.NN_name.ipynb); the
learner edition (notebooks/NN_name.ipynb) holds no answers, and a test runs it unsolved. The
instructor's board needs a running workshop: tests/test_workshop.py runs it with papermill."""
import re


def pytest_ignore_collect(collection_path, config):
    """True to skip a path; None (never False) otherwise, so that --ignore still works."""
    if collection_path.parent.name == "instructor":
        return True
    if re.fullmatch(r"[0-9][0-9]_.*\.ipynb", collection_path.name) and collection_path.parent.name == "notebooks":
        return True
    return None
