"""The deployment files are consistent: the image runs as a non-root user without the
unlicensed model, and compose.yaml's services agree with the settings they configure.

Docker itself is not needed (nor run) here; the lead's checklist covers `docker compose up`.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from bot.settings import Settings
from tests.conftest import ROOT

COMPOSE = ROOT / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _env(service: dict) -> dict[str, str]:
    return {key: str(value) for key, value in service["environment"].items()}


def test_compose_runs_postgres_replicas_and_one_process_per_shard_group(compose: dict) -> None:
    services = compose["services"]
    assert {"postgres", "migrate", "web", "proxy"} <= set(services)
    web = services["web"]
    assert web["deploy"]["replicas"] == "${SELFIEBOT_WEB_REPLICAS:-2}"
    assert _env(web)["DISCORD_BOT_TOKEN"] == "", "replicas must not each open every shard"
    assert _env(web)["SELFIEBOT_DATABASE_URL"].startswith("postgresql://")
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"

    shards = {name: _env(s) for name, s in services.items() if name.startswith("discord-")}
    totals = {env["SELFIEBOT_DISCORD_SHARD_COUNT"] for env in shards.values()}
    assert len(totals) == 1, "every shard process must declare the same total"
    owned = sorted(
        i for env in shards.values() for i in json.loads(env["SELFIEBOT_DISCORD_SHARD_IDS"])
    )
    assert owned == list(range(int(totals.pop()))), "each shard runs in exactly one process"
    for env in shards.values():
        assert env["TELEGRAM_BOT_TOKEN"] == ""


def test_compose_settings_are_ones_the_service_accepts(
    compose: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, service in compose["services"].items():
        if service.get("image") != "selfiebot:latest":
            continue
        for key in [k for k in os.environ if k.startswith(("SELFIEBOT_", "TELEGRAM_", "DISCORD_"))]:
            monkeypatch.delenv(key)
        for key, value in _env(service).items():
            monkeypatch.setenv(key, re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value))
        settings = Settings(_env_file=None)
        assert settings.database_url and "postgres:5432" in settings.database_url, name
        assert settings.discord_bot_token is None or name.startswith("discord-"), name


def test_the_image_is_non_root_and_never_holds_the_seed_model() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert ".h5" not in "".join(re.findall(r"^COPY .*$", dockerfile, re.MULTILINE))
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "**/*.h5" in ignored and "**/.env" in ignored and ignored[1] == "*"
    entrypoint = ROOT / "deploy" / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    assert "selfiebot models fetch" in entrypoint.read_text()


def test_prometheus_scrapes_every_process(compose: dict) -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    names = config["scrape_configs"][0]["dns_sd_configs"][0]["names"]
    servers = [n for n in compose["services"] if n == "web" or n.startswith("discord-")]
    assert sorted(names) == sorted(servers)
