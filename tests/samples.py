"""Where the real-world sample inputs are: shared/ beside the repository (CI clones it there)."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
if not SAMPLES.is_dir():
    raise RuntimeError(f"shared samples not found at {SAMPLES}: clone the repository beside shared/")
