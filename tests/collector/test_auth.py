"""Per-project API keys: create/list/revoke, project confinement, 401s, and the
open-mode rule (no keys only on loopback)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import CollectorProcess, OtelPipeline, RunningCollector
from decode_modes import POOLED, collector_fixture  # noqa: F401 - the fixture
from otlp_payloads import PROTOBUF, request, span

from chainsight.collector.auth import check_bind, hash_secret, parse_key
from chainsight.collector.cli import keys as keys_cli
from chainsight.collector.errors import ConfigurationError
from chainsight.collector.settings import Settings
from chainsight.storage import open_store


def _create_key(collector: RunningCollector, project: str, api_key: str | None = None) -> str:
    with collector.client(api_key) as client:
        response = client.post("/api/v1/keys", json={"project": project, "name": f"{project} key"})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def _post(
    collector: RunningCollector,
    api_key: str | None,
    project: str = "from-resource",
    name: str = "op",
):
    s = span(name=name)
    with collector.client(api_key) as client:
        response = client.post(
            "/v1/traces",
            content=request([s], project=project).SerializeToString(),
            headers={"content-type": PROTOBUF},
        )
    return response, s.trace_id.hex()


def test_created_key_is_shown_once_and_listed_masked(collector: RunningCollector) -> None:
    """The secret comes back from create only; list shows a masked value."""
    key = _create_key(collector, "alpha")
    with collector.client(key) as client:
        listed = client.get("/api/v1/keys").json()
    assert len(listed) == 1
    assert key not in str(listed)
    assert listed[0]["masked"].endswith(key[-4:])
    assert listed[0]["project"] == "alpha"


def test_only_a_salted_hash_is_stored(collector: RunningCollector) -> None:
    """The store holds hash(salt, secret), never the secret."""
    key = _create_key(collector, "alpha")
    key_id, secret = parse_key(key) or ("", "")
    stored = collector.state.store.keys.lookup(key_id)
    assert stored is not None
    assert stored.hash == hash_secret(stored.salt, secret)
    assert secret.encode() not in stored.hash + stored.salt


def test_requests_without_a_key_get_401_once_a_key_exists(collector: RunningCollector) -> None:
    """Creating the first key switches the collector to authenticated mode."""
    _create_key(collector, "alpha")
    with collector.client() as client:
        assert client.get("/api/v1/traces").status_code == 401
    assert _post(collector, None)[0].status_code == 401


def test_wrong_key_gets_401(collector: RunningCollector) -> None:
    """A well-formed key with the wrong secret is refused."""
    key = _create_key(collector, "alpha")
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    with collector.client(forged) as client:
        response = client.get("/api/v1/traces")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@POOLED
def test_a_key_writes_into_its_own_project(collector: RunningCollector) -> None:
    """The key's project overrides the project named by the resource."""
    key = _create_key(collector, "alpha")
    response, trace_id = _post(collector, key, project="somebody-else")
    assert response.status_code == 200
    with collector.client(key) as client:
        assert client.get(f"/api/v1/traces/{trace_id}").json()["project"] == "alpha"


def test_a_key_reads_only_its_own_project(collector: RunningCollector) -> None:
    """Another project's traces are invisible, and asking for that project is forbidden."""
    alpha = _create_key(collector, "alpha")
    with collector.client(alpha) as client:
        assert client.post("/api/v1/keys", json={"project": "beta"}).status_code == 403
    _, alpha_trace = _post(collector, alpha)
    with collector.client(alpha) as client:
        assert client.get("/api/v1/traces", params={"project": "beta"}).status_code == 403
        listed = client.get("/api/v1/traces").json()["items"]
    assert {t["project"] for t in listed} == {"alpha"}
    assert alpha_trace in {t["trace_id"] for t in listed}


def test_keys_of_two_projects_see_disjoint_traces(
    collector_factory: Callable[..., RunningCollector], tmp_path: Path
) -> None:
    """Keys created before start for two projects each see only their own traces."""
    data_dir = tmp_path / "two"
    runner = CliRunner()
    alpha = runner.invoke(
        keys_cli, ["create", "--project", "alpha", "--data-dir", str(data_dir)]
    ).stdout.strip()
    beta = runner.invoke(
        keys_cli, ["create", "--project", "beta", "--data-dir", str(data_dir)]
    ).stdout.strip()
    collector = collector_factory(data_dir=data_dir)
    _, a_trace = _post(collector, alpha)
    _, b_trace = _post(collector, beta)
    with collector.client(beta) as client:
        assert client.get(f"/api/v1/traces/{a_trace}").status_code == 404
        assert client.get(f"/api/v1/traces/{b_trace}").status_code == 200
        assert client.get("/api/v1/projects").json() == ["beta"]


def test_revoked_key_gets_401(collector: RunningCollector) -> None:
    """Revocation takes effect on the next request."""
    key = _create_key(collector, "alpha")
    other = _create_key(collector, "alpha", api_key=key)
    with collector.client(key) as client:
        key_id = (parse_key(other) or ("", ""))[0]
        assert client.delete(f"/api/v1/keys/{key_id}").status_code == 204
    with collector.client(other) as client:
        assert client.get("/api/v1/traces").status_code == 401


def test_exporter_headers_env_format_authenticates(
    collector: RunningCollector, pipeline_factory: Callable[..., OtelPipeline]
) -> None:
    """The OTLP exporter sending 'authorization: Bearer <key>' is accepted."""
    key = _create_key(collector, "alpha")
    pipeline = pipeline_factory(collector.otlp_url, api_key=key, project=None)
    with pipeline.tracer.start_as_current_span("via-exporter") as root:
        pass
    pipeline.flush()
    with collector.client(key) as client:
        tree = client.get(f"/api/v1/traces/{format(root.get_span_context().trace_id, '032x')}")
    assert tree.status_code == 200
    assert tree.json()["project"] == "alpha"


def test_status_reports_auth_mode(collector: RunningCollector) -> None:
    """/api/v1/status is readable without a key and says whether keys are required."""
    with collector.client() as client:
        assert client.get("/api/v1/status").json()["auth"] is False
        _create_key(collector, "alpha")
        status = client.get("/api/v1/status")
    assert status.status_code == 200
    assert status.json()["auth"] is True


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "collector.example"])
def test_open_mode_is_refused_off_loopback(host: str, tmp_path: Path) -> None:
    """Without keys, a non-loopback bind is refused."""
    with pytest.raises(ConfigurationError):
        check_bind(Settings(host=host, data_dir=tmp_path), any_keys=False)


@pytest.mark.parametrize(
    ("host", "any_keys", "force"),
    [
        ("127.0.0.1", False, False),
        ("::1", False, False),
        ("localhost", False, False),
        ("0.0.0.0", True, False),
        ("0.0.0.0", False, True),
    ],
)
def test_binding_is_allowed_on_loopback_with_keys_or_when_forced(
    host: str, any_keys: bool, force: bool, tmp_path: Path
) -> None:
    """Loopback, existing keys, or --allow-open-remote all let the collector start."""
    check_bind(Settings(host=host, data_dir=tmp_path, allow_open_remote=force), any_keys=any_keys)


def test_serve_refuses_open_remote_before_binding(tmp_path: Path) -> None:
    """`chainsight serve --host 0.0.0.0` without keys exits with an explanation."""
    from chainsight.collector.cli import serve

    result = CliRunner().invoke(
        serve, ["--host", "0.0.0.0", "--port", "1", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "--allow-open-remote" in result.output


def test_cli_keys_create_list_revoke_on_the_store(tmp_path: Path) -> None:
    """With no collector running, `chainsight keys` works on the store directly."""
    runner = CliRunner()
    args = ["--data-dir", str(tmp_path)]
    created = runner.invoke(keys_cli, ["create", "--project", "p1", "--name", "ci", *args])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    key_id = (parse_key(key) or ("", ""))[0]
    listed = runner.invoke(keys_cli, ["list", *args])
    assert key_id in listed.stdout and key not in listed.stdout
    assert runner.invoke(keys_cli, ["revoke", key_id, *args]).exit_code == 0
    store = open_store(f"duckdb:///{tmp_path / 'chainsight.duckdb'}")
    try:
        assert store.keys.any_active() is False
    finally:
        store.close()


def test_cli_keys_create_goes_through_the_running_collector(
    collector_process_factory: Callable[..., CollectorProcess], tmp_path: Path
) -> None:
    """While a collector process holds the DuckDB file, `keys create` calls its API instead."""
    process = collector_process_factory(tmp_path / "data")
    runner = CliRunner()
    args = ["--data-dir", str(tmp_path / "data"), "--port", str(process.port)]
    created = runner.invoke(keys_cli, ["create", "--project", "live", *args])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    listed = httpx.get(
        f"{process.base_url}/api/v1/keys", headers={"authorization": f"Bearer {key}"}
    )
    assert [k["project"] for k in listed.json()] == ["live"]


def test_app_refuses_to_start_open_on_a_public_host(
    collector_factory: Callable[..., RunningCollector],
) -> None:
    """The lifespan itself refuses host=0.0.0.0 without keys (the socket stays on loopback)."""
    with pytest.raises(RuntimeError, match="failed to start"):
        collector_factory(host="0.0.0.0")


def test_public_host_keeps_requiring_keys_after_all_are_revoked(
    collector_factory: Callable[..., RunningCollector], tmp_path: Path
) -> None:
    """Revoking the last key does not reopen a collector configured for a public address."""
    data_dir = tmp_path / "public"
    runner = CliRunner()
    key = runner.invoke(
        keys_cli, ["create", "--project", "p", "--data-dir", str(data_dir)]
    ).stdout.strip()
    collector = collector_factory(data_dir=data_dir, host="0.0.0.0")
    key_id = (parse_key(key) or ("", ""))[0]
    with collector.client(key) as client:
        assert client.delete(f"/api/v1/keys/{key_id}").status_code == 204
    with collector.client() as client:
        assert client.get("/api/v1/traces").status_code == 401
