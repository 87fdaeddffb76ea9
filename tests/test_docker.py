"""Issue 22, item 9: the Dockerfile and compose.yaml.

The files are checked against the project everywhere (the packages setup.sh installs, a
non-root user, the compose command's options exist in the CLI); the image is built and run
only where a Docker engine answers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from icr.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile_installs_tesseract_every_extra_and_runs_as_a_user() -> None:
    steps = _instructions()
    run = " ".join(rest for op, rest in steps if op == "RUN")
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    debian = re.search(r"packages=\(([^)]*)\)", setup)
    assert debian is not None
    for package in debian.group(1).split():
        if package.startswith("tesseract"):  # the engine and its models (fonts there are for tests)
            assert package in run, f"{package}: scripts/setup.sh installs it, the Dockerfile does not"
    assert 'pip install ".[all]"' in run
    users = [rest for op, rest in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("ENTRYPOINT", '["icr"]') in steps
    copied = {rest.split()[0] for op, rest in steps if op == "COPY"}
    assert {"icr", "config", "migrations", "pyproject.toml"} <= copied  # what the wheel needs
    assert "icr ingest" in run  # a receipt read at build time: Tesseract and the neural engine work
    assert "a+rwX /data" in run  # any user id (docker run -u, compose's ICR_UID) can use /data


def test_compose_runs_postgres_and_watch_with_options_the_cli_has() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    watch = services["watch"]
    assert watch["build"] == "."
    assert watch["depends_on"]["db"]["condition"] == "service_healthy"
    assert watch["environment"]["ICR_DATABASE_URL"].startswith("postgresql://")
    command = watch["command"]
    assert command[0] == "watch"
    ctx = main.make_context("icr", ["watch", "--help"], resilient_parsing=True)
    cmd = main.get_command(ctx, "watch")
    assert cmd is not None
    options = {opt for p in cmd.params for opt in p.opts}
    assert all(arg in options for arg in command[1:] if arg.startswith("--"))
    mounted = {v.split(":")[1] for v in watch["volumes"]}
    assert {arg for arg in command[1:] if arg.startswith("/data/")} <= mounted
    for name in ("watch", "serve"):  # the host user owns the mounted folders; the image is built here
        assert services[name]["user"] == "${ICR_UID:-1000}:${ICR_GID:-1000}" and services[name]["build"] == "."
    serve = services["serve"]
    assert serve["command"][0] == "serve" and "ICR_SERVE_TOKEN" in serve["environment"]  # beyond localhost
    serve_cmd = main.get_command(ctx, "serve")
    assert serve_cmd is not None
    serve_options = {opt for p in serve_cmd.params for opt in p.opts}
    assert all(arg in serve_options for arg in serve["command"][1:] if arg.startswith("--"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("ICR_SERVE_TOKEN", "ICR_UID", "docker compose up"):
        assert name in readme, f"{name}: compose.yaml needs it, the README's Containers section does not say"


def _docker_usable() -> str | None:
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        return "no Docker engine answers `docker info` (" + (info.stderr.strip().splitlines() or ["?"])[-1] + ")"
    return None


@pytest.mark.slow
def test_the_image_builds_and_reads_a_receipt(tmp_path: Path) -> None:
    reason = _docker_usable()
    if reason:
        pytest.skip(f"Docker not usable here: {reason}")
    tag = "icr-test:latest"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=1800)
    shutil.copy(ROOT / "samples" / "green-valley-grocer.png", tmp_path / "r.png")
    tmp_path.chmod(0o777)
    ingest = ["docker", "run", "--rm", "-v", f"{tmp_path}:/data/in", tag]
    done = subprocess.run([*ingest, "ingest", "/data/in", "--db", "sqlite:////data/in/x.db", "-q"], timeout=600)
    assert done.returncode == 0
    out = subprocess.run(
        [*ingest, "export", "--db", "sqlite:////data/in/x.db", "--no-text"], capture_output=True, text=True, timeout=120
    )
    assert '"status": "ok"' in out.stdout
