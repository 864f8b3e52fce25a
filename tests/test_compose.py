"""docker-compose.yml and the Dockerfile, checked without Docker (it cannot run here).

- the compose file against the official Compose Specification schema (vendored);
- ``docker compose config`` when the compose CLI exists (skipped otherwise);
- the shape we promise: one named volume on the collector only, healthchecks that really
  pass against a real collector and dashboard, ``depends_on`` healthy, keys only from the
  environment;
- every command the image or a service runs is a real ``chainsight`` subcommand whose
  options parse with the CLI's own click objects, and the README shows it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import click
import httpx
import jsonschema
import pytest
import yaml

from chainsight.cli import main as cli_main
from chainsight.collector.auth import check_bind
from chainsight.collector.errors import ConfigurationError
from chainsight.collector.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
# Compose Specification JSON schema, vendored unchanged from
# https://github.com/compose-spec/compose-spec/blob/00655e2222608fa6eaecdf12ac5195889ca2244a/schema/compose-spec.json
SCHEMA_FILE = ROOT / "tests" / "fixtures" / "compose-spec.json"
DATA_DIR = "/data"
START_DEADLINE_S = 90.0
"""Streamlit's first start imports plotly and pandas: slow on the shared 2-core machine."""

INTERPOLATION = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+)(?P<op>:?[-?].*)?\}$")
SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD", re.IGNORECASE)
API_KEY_LITERAL = re.compile(r"cs_[0-9a-f]{12}_\S+")


def _compose() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    out = []
    for line in lines:
        instruction, _, args = line.partition(" ")
        out.append((instruction.upper(), args.strip()))
    return out


def _dockerfile_cmd() -> list[str]:
    (cmd,) = [args for instr, args in _dockerfile_instructions() if instr == "CMD"]
    parsed = json.loads(cmd)  # exec form only: no shell between Docker and the process
    assert isinstance(parsed, list)
    return [str(part) for part in parsed]


def _argv(command: object) -> list[str]:
    if isinstance(command, str):
        return shlex.split(command)
    assert isinstance(command, list)
    return [str(part) for part in command]


def _parse_chainsight(argv: list[str]) -> tuple[str, dict[str, Any]]:
    """Parse ``chainsight SUB …`` with the CLI's own click objects; returns (SUB, params)."""
    assert argv[0] == "chainsight", argv
    name, args = argv[1], argv[2:]
    ctx = click.Context(cli_main)
    command = cli_main.get_command(ctx, name)
    assert command is not None, f"chainsight has no subcommand {name!r}"
    # make_context raises click.UsageError on an unknown option or a bad value.
    sub_ctx = command.make_context(name, list(args), parent=ctx)
    return name, dict(sub_ctx.params)


def _all_commands() -> list[tuple[str, list[str]]]:
    commands = [("Dockerfile CMD", _dockerfile_cmd())]
    for name, service in _services().items():
        if "command" in service:
            commands.append((f"service {name}", _argv(service["command"])))
    return commands


def _healthcheck_argv(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    assert isinstance(test, list)
    assert test[0] == "CMD", "exec form: the slim image has no curl, the check is Python"
    assert test[1] == "python"
    return [sys.executable, *test[2:]]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_compose_file_matches_the_compose_specification() -> None:
    """The file validates against the official Compose JSON schema."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(_compose())


def _compose_cli(variant: str) -> list[str]:
    """The compose command line of ``variant``, or a skip when this machine lacks it."""
    if variant == "docker compose":
        docker = shutil.which("docker")
        if docker is None:
            pytest.skip("no docker CLI here; the schema test still validates the file")
        argv = [docker, "compose"]
    else:
        legacy = shutil.which("docker-compose")
        if legacy is None:
            pytest.skip("no docker-compose here; the schema test still validates the file")
        argv = [legacy]
    probe = subprocess.run(
        [*argv, "version"], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no output"])[0][:200]
        pytest.skip(f"{variant} does not run here ({reason})")
    return argv


@pytest.mark.parametrize("variant", ["docker compose", "docker-compose"])
def test_compose_cli_accepts_the_file(variant: str, tmp_path: Path) -> None:
    """`config` (no daemon needed) resolves the file: Compose v2, and the older 1.29 too."""
    argv = _compose_cli(variant)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINSIGHT_")}
    result = subprocess.run(
        [*argv, "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr


def test_services_are_the_collector_and_the_dashboard_from_one_image() -> None:
    """Both services are built from the Dockerfile here, under one image name."""
    services = _services()
    assert set(services) == {"collector", "dashboard"}
    images = {s["image"] for s in services.values()}
    assert len(images) == 1
    for service in services.values():
        build = service["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        assert (ROOT / context / "Dockerfile").resolve() == DOCKERFILE.resolve()


def test_the_data_volume_is_named_and_mounted_only_into_the_collector() -> None:
    """DuckDB allows one writing process: only the collector sees the data directory."""
    doc = _compose()
    named = set(doc.get("volumes") or {})
    assert len(named) == 1
    (volume,) = named
    services = _services()
    assert services["collector"]["volumes"] == [f"{volume}:{DATA_DIR}"]
    assert "volumes" not in services["dashboard"]
    _, params = _parse_chainsight(_argv(services["collector"]["command"]))
    assert str(params["data_dir"]) == DATA_DIR


def test_the_image_declares_no_anonymous_volume() -> None:
    """A VOLUME line would give the dashboard container a data volume of its own."""
    assert "VOLUME" not in {instr for instr, _ in _dockerfile_instructions()}


def test_the_dashboard_waits_for_a_healthy_collector() -> None:
    """`depends_on` with `service_healthy`, and the collector has a healthcheck."""
    services = _services()
    assert services["dashboard"]["depends_on"] == {"collector": {"condition": "service_healthy"}}
    for service in services.values():
        check = service["healthcheck"]
        assert check.get("disable") is not True
        assert {"interval", "timeout", "retries", "start_period"} <= set(check)


@pytest.mark.parametrize(("label", "argv"), _all_commands())
def test_every_command_is_a_real_chainsight_subcommand(label: str, argv: list[str]) -> None:
    """The image and the services run `chainsight serve` / `dashboard` with real options."""
    name, _params = _parse_chainsight(argv)
    assert name in {"serve", "dashboard"}, label


def test_the_image_runs_the_collector_command_of_the_compose_file() -> None:
    """The Dockerfile's default command is exactly the collector service's command."""
    assert _dockerfile_cmd() == _argv(_services()["collector"]["command"])


def test_every_command_is_shown_in_the_readme() -> None:
    """A newcomer reads in the README exactly what the containers run."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for label, argv in _all_commands():
        assert shlex.join(argv) in readme, label


def test_the_dockerfile_builds_a_slim_server_image_as_a_non_root_user() -> None:
    """python:3.11-slim, `.[server]` (no dev tools), a non-root USER, both ports exposed."""
    instructions = _dockerfile_instructions()
    froms = [args for instr, args in instructions if instr == "FROM"]
    assert froms == ["python:3.11-slim"]
    installs = [args for instr, args in instructions if instr == "RUN" and "pip install" in args]
    assert len(installs) == 1
    assert '".[server]"' in installs[0]
    assert "dev" not in installs[0]
    users = [args for instr, args in instructions if instr == "USER"]
    assert users, "the image must not run as root"
    assert users[-1] not in {"root", "0"}
    exposed = {p for instr, args in instructions if instr == "EXPOSE" for p in args.split()}
    assert exposed == {"4318", "8501"}


def _ignore_patterns() -> list[re.Pattern[str]]:
    """.dockerignore lines as regexes over context-relative paths (Go filepath.Match + **)."""
    patterns = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("!"), "exceptions are not modelled by this test"
        parts = []
        for piece in re.split(r"(\*\*/|\*\*|\*|\?|\[[^\]]*\])", line.strip("/")):
            if piece == "**/":
                parts.append("(?:.*/)?")
            elif piece == "**":
                parts.append(".*")
            elif piece == "*":
                parts.append("[^/]*")
            elif piece == "?":
                parts.append("[^/]")
            elif piece.startswith("["):
                parts.append(piece)
            else:
                parts.append(re.escape(piece))
        patterns.append(re.compile("".join(parts) + r"\Z"))
    return patterns


def _ignored(relative: str, patterns: list[re.Pattern[str]]) -> bool:
    """Docker skips a path when it, or any folder above it, matches a pattern."""
    pieces = relative.split("/")
    prefixes = ["/".join(pieces[: i + 1]) for i in range(len(pieces))]
    return any(p.match(prefix) for p in patterns for prefix in prefixes)


def _build_context(dest: Path) -> None:
    """Lay out what the Dockerfile's COPY lines put in WORKDIR, honouring .dockerignore."""
    patterns = _ignore_patterns()
    for instruction, args in _dockerfile_instructions():
        if instruction != "COPY":
            continue
        *sources, target = args.split()
        assert not any(s.startswith("--") for s in sources), "COPY flags are not modelled"
        for source in sources:
            src = ROOT / source
            files = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
            for path in files:
                relative = path.relative_to(ROOT).as_posix()
                if _ignored(relative, patterns):
                    continue
                inside = path.name if src.is_file() else path.relative_to(src).as_posix()
                out = (
                    dest / target.rstrip("/") / inside
                    if target not in {".", "./"}
                    else dest / inside
                )
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, out)


def test_the_docker_context_keeps_data_and_secrets_out() -> None:
    """The build context excludes the venv, git, data files and a local .env."""
    patterns = _ignore_patterns()
    for path in (
        ".venv/bin/python",
        ".git/HEAD",
        "chainsight-data/chainsight.duckdb",
        "sdk/__pycache__/cli.cpython-311.pyc",
        "x/store.duckdb",
        ".env",
    ):
        assert _ignored(path, patterns), path
    for path in ("pyproject.toml", "README.md", "sdk/cli.py", "collector/prices.json"):
        assert not _ignored(path, patterns), path


def test_the_image_build_installs_every_module_and_the_cli(tmp_path: Path) -> None:
    """A wheel built from exactly what the Dockerfile copies has every module and the CLI."""
    context = tmp_path / "src"
    _build_context(context)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(context)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("chainsight-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {
        "sdk": "chainsight",
        "collector": "chainsight/collector",
        "storage": "chainsight/storage",
        "dashboard": "chainsight/dashboard",
        "demo": "chainsight/demo",
    }
    wanted = {
        f"{prefix}/{path.relative_to(ROOT / folder).as_posix()}"
        for folder, prefix in packages.items()
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix in {".py", ".sql", ".json", ".yaml", ".typed"}
    }
    assert sorted(wanted - names) == []
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "chainsight = chainsight.cli:main" in text


def test_the_collector_listens_on_all_interfaces_and_so_requires_keys() -> None:
    """In a container 0.0.0.0 is needed; the collector then refuses to start without a key."""
    collector = _services()["collector"]
    _, params = _parse_chainsight(_argv(collector["command"]))
    assert params["host"] == "0.0.0.0"
    assert params["allow_open_remote"] is None, "the compose file must not force open mode"
    env = _environment(collector)
    assert "CHAINSIGHT_ALLOW_OPEN_REMOTE" not in env
    settings = Settings(**{k: v for k, v in params.items() if v is not None})
    with pytest.raises(ConfigurationError):
        check_bind(settings, any_keys=False)
    check_bind(settings, any_keys=True)


def test_keys_come_only_from_the_environment() -> None:
    """No API key or secret is written in the compose file or the Dockerfile."""
    for path in (COMPOSE_FILE, DOCKERFILE):
        assert API_KEY_LITERAL.search(path.read_text(encoding="utf-8")) is None, path
    dashboard_env = _environment(_services()["dashboard"])
    match = INTERPOLATION.match(dashboard_env["CHAINSIGHT_API_KEY"])
    assert match is not None
    assert match["name"] == "CHAINSIGHT_API_KEY"
    for name, service in _services().items():
        for var, value in _environment(service).items():
            if SECRET_NAME.search(var):
                interpolated = INTERPOLATION.match(value)
                assert interpolated is not None, f"{name}: {var} must come from the environment"
                default = (interpolated["op"] or "").lstrip(":")
                assert default in {"", "-"} or default.startswith("?"), f"{name}: {var} default"


def test_every_chainsight_variable_in_the_compose_file_is_a_real_setting() -> None:
    """A misspelt CHAINSIGHT_* variable would be silently ignored by the collector."""
    from chainsight.dashboard.client import API_KEY_ENV, COLLECTOR_URL_ENV

    prefix = Settings.model_config.get("env_prefix", "CHAINSIGHT_")
    known = {f"{prefix}{field.upper()}" for field in Settings.model_fields}
    known |= {API_KEY_ENV, COLLECTOR_URL_ENV}
    for name, service in _services().items():
        unknown = [v for v in _environment(service) if v.startswith("CHAINSIGHT_")]
        assert [v for v in unknown if v not in known] == [], name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _swap_port(argv: list[str], old: int, new: int) -> list[str]:
    return [part.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}") for part in argv]


def _healthy(argv: list[str]) -> bool:
    return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode == 0


def test_the_collector_healthcheck_passes_against_a_real_collector(
    collector: Any,
) -> None:
    """The healthcheck command exits 0 on a live collector and non-zero when none listens."""
    check = _healthcheck_argv(_services()["collector"])
    assert any("127.0.0.1:4318/healthz" in part for part in check)
    port = int(collector.base_url.rsplit(":", 1)[1])
    assert _healthy(_swap_port(check, 4318, port))
    assert not _healthy(_swap_port(check, 4318, _free_port()))


def test_the_dashboard_command_serves_and_its_healthcheck_passes(
    collector: Any, tmp_path: Path
) -> None:
    """The dashboard service's command (on loopback, a free port) passes its healthcheck."""
    service = _services()["dashboard"]
    check = _healthcheck_argv(service)
    assert any("127.0.0.1:8501/_stcore/health" in part for part in check)
    _, params = _parse_chainsight(_argv(service["command"]))
    port = _free_port()
    argv = [
        sys.executable,
        "-m",
        "chainsight",
        "dashboard",
        "--host",
        "127.0.0.1",  # the container's 0.0.0.0; tests bind loopback only
        "--port",
        str(port),
        "--collector",
        collector.base_url,  # the container's http://collector:4318
    ]
    assert params["port"] == 8501
    assert params["collector"] == "http://collector:4318"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINSIGHT_")}
    proc = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        health = _swap_port(check, 8501, port)
        deadline = time.monotonic() + START_DEADLINE_S
        while not _healthy(health):
            assert proc.poll() is None, f"the dashboard exited with {proc.returncode}"
            assert time.monotonic() < deadline, "the dashboard never became healthy"
            time.sleep(0.5)
        assert httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=5).status_code == 200
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(20)
