"""The README, tested like the other docs: a newcomer can trust every name, link and command.

Unlike tests/test_docs.py (README + docs/ together), these read README.md alone: its
configuration reference must name every setting and environment variable on its own.
"""

from __future__ import annotations

import inspect
import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

import chainsight
from chainsight.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CODE_FOLDERS = ("sdk", "collector", "storage", "dashboard", "demo")
# Quoted names the code reads from the environment: ours, OTel's, and the peers' switches.
ENV_VAR = re.compile(r"""["']((?:CHAINSIGHT|OTEL|TRACELOOP|OPENINFERENCE)_[A-Z0-9_]+)["']""")
LINK = re.compile(r"\]\(([^)\s]+)\)|<img[^>]*\ssrc=\"([^\"]+)\"")
TWO_COMMANDS = ["bash scripts/run.sh", "bash scripts/test.sh"]


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _section(title: str) -> str:
    """The text under the level-2 heading ``title``, up to the next level-2 heading."""
    text = _readme()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match is not None, f"README has no '## {title}' section"
    return match.group(1)


def _code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def _env_vars_in_code() -> set[str]:
    found: set[str] = set()
    for folder in CODE_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            found.update(ENV_VAR.findall(path.read_text(encoding="utf-8")))
    return found


def _command(name: str) -> click.Command:
    command = cli_main.get_command(click.Context(cli_main), name)
    assert command is not None
    return command


def _long_flags(command: click.Command) -> list[str]:
    return [
        opt
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if opt.startswith("--") and opt != "--help"
    ]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_configuration_reference_names_every_env_var_the_code_reads() -> None:
    """An environment variable read anywhere in the code is in the README's reference."""
    reference = _section("Configuration reference")
    found = _env_vars_in_code()
    assert "CHAINSIGHT_ENDPOINT" in found  # the scan works
    assert sorted(v for v in found if f"`{v}`" not in reference) == []


def test_configuration_reference_names_every_collector_setting() -> None:
    """Each collector setting appears as its CHAINSIGHT_* variable."""
    from chainsight.collector.settings import Settings

    reference = _section("Configuration reference")
    prefix = Settings.model_config.get("env_prefix", "CHAINSIGHT_")
    names = [f"{prefix}{field.upper()}" for field in Settings.model_fields]
    assert [n for n in names if f"`{n}`" not in reference] == []


def test_configuration_reference_names_every_init_argument() -> None:
    """Every `chainsight.init()` argument is in the reference, with or without a variable."""
    reference = _section("Configuration reference")
    arguments = inspect.signature(chainsight.init).parameters
    assert [a for a in arguments if f"`{a}`" not in reference] == []


def test_configuration_reference_names_every_server_flag() -> None:
    """The flags of `chainsight serve`, `dashboard` and `up` are all in the reference."""
    reference = _section("Configuration reference")
    for name in ("serve", "dashboard", "up"):
        flags = _long_flags(_command(name))
        assert [f for f in flags if f"`{f}`" not in reference] == [], name


def test_quick_start_is_exactly_the_two_scripts() -> None:
    """The quick start's commands are the two scripts, and they exist."""
    (block,) = _code_blocks(_section("Quick start: the two commands"), "bash")
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    assert [c for c in commands if c] == TWO_COMMANDS
    for command in TWO_COMMANDS:
        assert (ROOT / shlex.split(command)[1]).is_file()


def test_the_test_script_runs_lint_types_and_tests_and_ci_runs_it() -> None:
    """`scripts/test.sh` is ruff + mypy + pytest, and `.ci/run` is exactly that script."""
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    for step in ("ruff check", "ruff format --check", "scripts/typecheck.py", "pytest"):
        assert step in script
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "exec bash scripts/test.sh" in ci


def test_the_run_script_runs_the_demo() -> None:
    """The README says `scripts/run.sh` runs `chainsight demo`; the script's last command does."""
    lines = [
        line.strip()
        for line in (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert re.search(r"\bchainsight demo\b", lines[-1]), lines[-1]
    assert '"$@"' in lines[-1], "the README says options pass through to the demo"
    assert "chainsight demo" in _section("Quick start: the two commands")


def _chainsight_command_lines() -> list[str]:
    """Every `chainsight …` command line of the README: in shell blocks and inline code."""
    text = _readme()
    lines = []
    for block in _code_blocks(text, "bash"):
        for line in block.splitlines():
            code = line.split("  #", 1)[0]
            match = re.search(r"\bchainsight\s+[a-z].*", code)
            if match:
                lines.append(re.split(r"\s(?:\||&&|>)\s", match.group(0))[0].strip())
    lines += re.findall(r"`(chainsight [a-z][^`]*)`", text)
    # `bash scripts/run.sh ARGS` passes ARGS to `chainsight demo`.
    lines += [f"chainsight demo {a}" for a in re.findall(r"`bash scripts/run\.sh ([^`]+)`", text)]
    return sorted(set(lines))


def _parse_command_line(line: str) -> None:
    """Parse one command line with the CLI's own click objects (raises on a bad option)."""
    args = shlex.split(line)[1:]
    command: click.Command = cli_main
    name = "chainsight"
    parent: click.Context | None = None
    while isinstance(command, click.Group):
        takes_value = {
            opt
            for p in command.params
            if isinstance(p, click.Option) and not p.is_flag
            for opt in p.opts
        }
        i = 0
        while i < len(args) and args[i].startswith("-"):
            i += 2 if args[i] in takes_value else 1
        own, rest = args[:i], args[i:]
        if own:
            parent = command.make_context(name, own, parent=parent)
        else:
            parent = click.Context(command, info_name=name, parent=parent)
        if not rest:
            return  # a group named on its own, e.g. `chainsight keys`
        sub = command.get_command(parent, rest[0])
        assert sub is not None, f"{line}: no command {rest[0]!r}"
        command, name, args = sub, rest[0], rest[1:]
    command.make_context(name, args, parent=parent)


@pytest.mark.parametrize("line", _chainsight_command_lines())
def test_every_chainsight_command_line_parses(
    line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each `chainsight …` line a newcomer may copy has real subcommands and options."""
    monkeypatch.chdir(tmp_path)  # files the examples name (rules.yaml) exist, empty
    for token in shlex.split(line):
        if re.fullmatch(r"[\w./-]+\.(?:yaml|yml|json)", token):
            (tmp_path / token).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / token).touch()
    # --help would print and exit; the command's name is what such a line checks.
    _parse_command_line(line.replace(" --help", ""))


def test_every_relative_link_and_image_exists() -> None:
    """Links and images point at files of the repository, and anchors at real headings."""
    text = _readme()
    anchors = {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}
    targets = [a or b for a, b in LINK.findall(text)]
    assert any(t.endswith(".png") for t in targets)
    broken = []
    for target in targets:
        if re.match(r"^[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        path, _, anchor = target.partition("#")
        if not path:
            if anchor not in anchors:
                broken.append(target)
        elif not (ROOT / path).exists():
            broken.append(target)
    assert broken == []


def test_every_docs_page_is_linked() -> None:
    """A newcomer finds every page of docs/ from the README."""
    text = _readme()
    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))
    assert [p for p in pages if f"]({p})" not in text] == []


def test_every_cli_command_is_named() -> None:
    """Each `chainsight` subcommand is named at least once."""
    text = _readme()
    names = cli_main.list_commands(click.Context(cli_main))
    assert [n for n in names if f"chainsight {n}" not in text] == []


def test_the_alert_rules_example_is_valid() -> None:
    """The YAML example passes the collector's own rule validation."""
    from chainsight.collector.alerting.rules import default_sources, parse_rules_document

    (block,) = _code_blocks(_section("Alert rules as YAML"), "yaml")
    rules = parse_rules_document(yaml.safe_load(block), default_sources(), "README.md")
    assert len(rules.rules) >= 2


def test_python_examples_compile() -> None:
    """Every Python block is valid Python (no half-edited snippets)."""
    blocks = _code_blocks(_readme(), "python")
    assert blocks
    for block in blocks:
        compile(block, "README.md", "exec")
