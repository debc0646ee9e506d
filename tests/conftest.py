"""Shared test configuration: make the namespace lab importable and load its pytest plugin."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netns-fixtures"))

pytest_plugins = ["nslab.pytest_plugin"]
