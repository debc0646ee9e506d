"""Let `import merge` find the project package rather than this directory.

pytest puts `tests/` on sys.path (for tests/conftest.py), where `tests/merge` would be picked up as a
namespace package before the editable install's finder runs.
"""

import sys
from pathlib import Path

_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)
