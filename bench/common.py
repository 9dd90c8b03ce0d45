"""What the bench scripts share: where the repository and the shared bench folder are."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shared_bench_dir() -> Path:
    """SHARED_BENCH, else ../shared/bench beside the checkout (or beside a helper worktree)."""
    candidates = [os.environ["SHARED_BENCH"]] if os.environ.get("SHARED_BENCH") else []
    candidates += [REPO.parent / "shared" / "bench", REPO.parent.parent / "shared" / "bench"]
    for candidate in candidates:
        if (Path(candidate) / "loadgen.py").exists():
            return Path(candidate).resolve()
    sys.exit(f"shared bench not found (tried {candidates}); set SHARED_BENCH=/path/to/shared/bench")
