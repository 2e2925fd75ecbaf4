"""The deployment files, checked without a cluster or an image build: the Kubernetes manifests
against the Kubernetes API's JSON schemas (kubernetes-validate bundles them), compose.yaml against
the Compose Specification's JSON schema (check-jsonschema bundles it) and its wiring always, and
by `docker compose config` where docker is installed, the
Dockerfile's promises (pinned base, non-root, constraints), the alert rules by promtool when
installed and by their structure always."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
K8S_VERSION = "1.30.0"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _resources() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [doc for name in kustomization["resources"] for doc in _documents(K8S / name)]


def test_every_manifest_is_valid_against_the_kubernetes_schemas() -> None:
    resources = _resources()
    for resource in resources:
        kubernetes_validate.validate(resource, K8S_VERSION, strict=True)
    kinds = sorted(resource["kind"] for resource in resources)
    assert kinds == sorted(
        [
            "ConfigMap",
            "Deployment",
            "Deployment",
            "HorizontalPodAutoscaler",
            "Job",
            "PodDisruptionBudget",
            "Service",
        ]
    )


def test_the_validator_rejects_a_broken_manifest() -> None:
    deployment = next(r for r in _resources() if r["kind"] == "Deployment")
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def _containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    return list(resource["spec"]["template"]["spec"]["containers"])


def test_pods_probe_run_as_non_root_and_take_secrets_by_reference() -> None:
    resources = _resources()
    workloads = [r for r in resources if r["kind"] in ("Deployment", "Job")]
    assert not any(r["kind"] == "Secret" for r in resources)  # secrets are never committed
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in _containers(workload):
            assert container["resources"]["requests"]
            assert container["resources"]["limits"]["memory"]
            env = {e["name"]: e for e in container.get("env", [])}
            for name in ("RONGBAN_DATABASE_URL", "RONGBAN_SECRET_KEY", "RONGBAN_S3_SECRET_KEY"):
                assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "rongban"
                assert "value" not in env[name]
    api = next(
        r for r in resources if r["metadata"]["name"] == "rongban-api" and r["kind"] == "Deployment"
    )
    container = _containers(api)[0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    job = next(r for r in resources if r["kind"] == "Job")
    assert _containers(job)[0]["args"] == ["migrate"]
    hpa = next(r for r in resources if r["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "rongban-api"
    config = next(r for r in resources if r["kind"] == "ConfigMap")["data"]
    secret_names = {"RONGBAN_SECRET_KEY", "RONGBAN_DATABASE_URL", "RONGBAN_S3_SECRET_KEY"}
    assert not secret_names & set(config)


def test_every_setting_the_manifests_name_exists() -> None:
    from resolvers.settings import Settings

    known = {f"RONGBAN_{name.upper()}" for name in Settings.model_fields}
    named: set[str] = set(next(r for r in _resources() if r["kind"] == "ConfigMap")["data"])
    for resource in _resources():
        if resource["kind"] in ("Deployment", "Job"):
            for container in _containers(resource):
                named |= {e["name"] for e in container.get("env", [])}
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    named |= set(compose["x-rongban"]["environment"])
    assert named - known == set()


# -- compose

COMPOSE_ENV = {
    "POSTGRES_PASSWORD": "compose-check-postgres",
    "MINIO_ROOT_PASSWORD": "compose-check-minio",
    "RONGBAN_SECRET_KEY": "compose-check-secret-key-0123456789abcdef",
}


def test_compose_wires_the_whole_platform() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "minio", "clamav", "migrate", "api", "worker", "proxy"} <= set(
        services
    )
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["api"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["migrate"]["command"] == ["migrate"]
    assert services["worker"]["command"] == ["worker"]
    for name, service in services.items():
        image = service.get("image", "")
        assert ":" in image, name  # pinned
        assert not image.endswith(":latest"), name
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
    nginx = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    assert "server api:8000" in nginx
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for" in nginx
    proxy_address = services["proxy"]["networks"]["backend"]["ipv4_address"]
    trusted = compose["x-rongban"]["environment"]["RONGBAN_TRUSTED_PROXIES"]
    import ipaddress

    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(trusted)


CHECK_COMPOSE = [
    sys.executable,
    "-m",
    "check_jsonschema",
    "--builtin-schema",
    "vendor.compose-spec",
]


def _check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHECK_COMPOSE, str(path)],
        capture_output=True,
        text=True,
    )


def test_compose_is_valid_against_the_compose_specification(tmp_path: Path) -> None:
    result = _check_compose(ROOT / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    # The schema is strict where it matters: a misspelt key or a wrong shape is refused.
    broken = yaml.safe_load((ROOT / "compose.yaml").read_text())
    broken["services"]["worker"]["restart_policy"] = "always"
    broken["services"]["api"]["depends_on"] = {"migrate": {"condition": "when-ready"}}
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump(broken))
    refused = _check_compose(tmp_path / "compose.yaml")
    assert refused.returncode != 0
    assert "restart_policy" in refused.stdout
    assert "when-ready" in refused.stdout


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_accepts_the_file() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    result = subprocess.run(
        [*command, "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
        cwd=ROOT,
        env={**os.environ, **COMPOSE_ENV},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    missing = subprocess.run(
        [*command, "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in COMPOSE_ENV},
        capture_output=True,
        text=True,
    )
    assert missing.returncode != 0  # the secrets are required, never defaulted


# -- the image


def test_the_dockerfile_is_pinned_multi_stage_and_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert base is not None
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base.group(1))
    stages = re.findall(r"^FROM \S+ AS (\w+)$", text, re.M)
    assert stages == ["build", "runtime"]
    assert "-c constraints.txt" in text
    runtime = text.split("AS runtime", 1)[1]
    users = re.findall(r"^USER (\S+)$", runtime, re.M)
    assert users
    assert users[-1].split(":")[0] not in ("0", "root")
    assert "COPY --from=build /opt/rongban /opt/rongban" in runtime
    # The runtime stage installs nothing itself: no compilers or caches in the image.
    assert "pip install" not in runtime
    for stage in ("tests", "miniprogram-mock", ".venv", ".git"):
        assert stage in (ROOT / ".dockerignore").read_text().split()


# -- alert rules


def test_the_alert_rules_are_well_formed_and_documented() -> None:
    rules_file = ROOT / "deploy" / "prometheus" / "alerts.yml"
    promtool = shutil.which("promtool")
    if promtool:
        result = subprocess.run(
            [promtool, "check", "rules", str(rules_file)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
    document = yaml.safe_load(rules_file.read_text())
    operations = (ROOT / "docs" / "operations.md").read_text()
    from prometheus_client.core import REGISTRY  # noqa: F401  (the metrics are defined)

    import storage.metrics  # noqa: F401

    ours = set(re.findall(r"rongban_[a-z_]+", (ROOT / "storage" / "metrics.py").read_text()))
    ours |= set(re.findall(r'"(rongban_[a-z_]+)"', (ROOT / "api" / "metrics.py").read_text()))
    alerts = [rule for group in document["groups"] for rule in group["rules"]]
    assert len(alerts) >= 6
    for rule in alerts:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
        assert re.fullmatch(r"[A-Z][A-Za-z]+", rule["alert"])
        assert rule["labels"]["severity"] in ("page", "ticket")
        expr = rule["expr"]
        assert expr.count("(") == expr.count(")"), rule["alert"]
        for name in re.findall(r"rongban_[a-z_]+", expr):
            base = re.sub(r"_(total|bucket|count|sum)$", "", name)
            assert base in ours, (rule["alert"], name)
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert f"### {rule['alert']}" in operations
        assert anchor == rule["alert"].lower()
