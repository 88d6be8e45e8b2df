"""Where the measuring scripts find `../shared` (the dev selfies, the seed model) and the
analyzer they measure, so each script says only what it measures.

Scripts run from the repository root (`.venv/bin/python benchmarks/<script>.py`) and import
this module after putting the root on `sys.path`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inference import Analyzer

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SELFIES_DEV = SHARED / "selfies" / "dev"
SEED_MODEL = SHARED / "seed" / "best_model.h5"


def use_seed_model() -> None:
    """Score with `../shared`'s seed model unless SELFIEBOT_POPULARITY_MODEL names another."""
    if "SELFIEBOT_POPULARITY_MODEL" not in os.environ and SEED_MODEL.exists():
        os.environ["SELFIEBOT_POPULARITY_MODEL"] = str(SEED_MODEL)


def dev_selfies_analyzer() -> Analyzer:
    """The product's analyzer on its default settings, for scripts that need the dev selfies
    (exits with a sentence when `../shared` lacks them). Close it, or use it in `with`."""
    if not SELFIES_DEV.is_dir():
        raise SystemExit(f"{SELFIES_DEV} is absent")
    use_seed_model()
    from bot.settings import get_settings
    from inference import Analyzer

    return Analyzer.from_config(get_settings().analyzer_config())
