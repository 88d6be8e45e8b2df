"""Shared test fixtures: paths to `../shared`, isolation from the user's real dirs and network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.netguard import _offline, net_guard  # noqa: F401 (fixtures: every test stays offline)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED_MODEL = SHARED / "seed" / "best_model.h5"
REFERENCE = SHARED / "reference"
SELFIES_DEV = SHARED / "selfies" / "dev"

needs_shared = pytest.mark.skipif(
    not SEED_MODEL.exists(), reason="../shared (seed model, reference outputs, selfies) is absent"
)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Keep every test away from the user's real data/cache dirs and `.env`."""
    base = tmp_path_factory.mktemp("selfiebot-home")
    monkeypatch.setenv("SELFIEBOT_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("SELFIEBOT_CACHE_DIR", str(base / "cache"))
    monkeypatch.chdir(base)
    if not os.environ.get("SELFIEBOT_POPULARITY_MODEL") and SEED_MODEL.exists():
        monkeypatch.setenv("SELFIEBOT_POPULARITY_MODEL", str(SEED_MODEL))
    from bot.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
