"""Let `import operators` find the project package rather than this directory.

pytest puts `tests/` on sys.path (for tests/conftest.py), where `tests/operators` would be found as a
namespace package before the editable install's finder runs. `pythonpath = ["."]` in the pytest settings
would make this unnecessary.
"""

import sys
from pathlib import Path

_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)
