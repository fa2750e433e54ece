"""Makes the example project's ``app`` package importable when pytest runs from elsewhere."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
