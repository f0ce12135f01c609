"""Real-world sample inputs the suite reads, kept in the repository so that a clone alone runs it.

Each folder's SOURCE.txt says where every file came from. Nothing in the suite reads outside the clone.
"""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent
