"""The deployment files agree with the code they deploy.

Run by `make deploy-check` (part of `make test`), which provides the two binaries:
  ONRAMP_SERVER_BINARY  the onramp built from this tree (its `check-config` loads a configuration
                        exactly as `serve` does and refuses unknown ONRAMP_* variables)
  KUSTOMIZE             the pinned kustomize that renders the base and the overlay

What is checked, for the rendered base and the rendered overlay alike:
  - the probes and the ServiceMonitor use routes the admin listener serves
    (crates/server/src/admin_http.rs), on the port onramp's admin listener is configured with;
  - every selector (Deployment, Services, PodDisruptionBudget, ServiceMonitor, spread
    constraints) matches the labels it is meant to match;
  - every ONRAMP_* variable of the image, the pod and the config file is one onramp reads, with
    a value it accepts (the real binary says so);
  - the pod's shutdown timing, security context and volumes fit the image and onramp's drain;
  - the PrometheusRule carries exactly deploy/prometheus/onramp-alerts.yml's rules;
and the compose example's replicas, Envoy and Prometheus agree with one another and with onramp.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy/kubernetes"
KUSTOMIZATIONS = {
    "base": KUBERNETES / "base",
    "postgres-replicas": KUBERNETES / "overlays/postgres-replicas",
}
DOCKERFILE = ROOT / "deploy/container/Dockerfile"
EXAMPLE_SECRET = KUBERNETES / "secret.example.yaml"
ALERTS = ROOT / "deploy/prometheus/onramp-alerts.yml"
ADMIN_HTTP = ROOT / "crates/server/src/admin_http.rs"
CONFIG_RS = ROOT / "crates/server/src/config.rs"
COMPOSE = ROOT / "deploy/compose"

Manifest = dict[str, Any]


def binary(variable: str, default: Path) -> str:
    path = Path(os.environ.get(variable, default))
    assert path.is_file(), f"{path} does not exist (set {variable}, or run `make deploy-check`)"
    return str(path)


# --- what the code says ----------------------------------------------------------------------


def admin_routes() -> set[str]:
    """The paths `Admin::answer` matches on: the string literals of its `match` arms."""
    routes = set(re.findall(r'^\s*"(/[^"]*)"\s*=>', ADMIN_HTTP.read_text(), re.MULTILINE))
    assert {"/metrics", "/healthz", "/readyz"} <= routes, f"admin_http.rs routes changed: {routes}"
    return routes


def code_default(source: Path, pattern: str) -> str:
    found = re.search(pattern, source.read_text())
    assert found, f"{source.relative_to(ROOT)} no longer matches {pattern!r}"
    return found.group(1)


def default_admin_listen() -> str:
    return code_default(ADMIN_HTTP, r'listen:\s*"([^"]*)"\.to_owned\(\)')


def default_listen() -> str:
    return code_default(CONFIG_RS, r'listen:\s*"([^"]*)"\.to_owned\(\)')


def default_shutdown_grace() -> int:
    return int(code_default(CONFIG_RS, r"shutdown_grace_seconds:\s*(\d+),"))


def check_config(env: dict[str, str], config_file: Path | None) -> subprocess.CompletedProcess[str]:
    """`onramp check-config` with exactly these ONRAMP_* variables: those of the environment
    running the test (ONRAMP_SERVER_BINARY among them) would be read as configuration too."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
    args = [binary("ONRAMP_SERVER_BINARY", ROOT / "target/debug/onramp"), "check-config"]
    if config_file is not None:
        args += ["--config", str(config_file)]
    return subprocess.run(
        args, env={**clean, **env}, capture_output=True, text=True, timeout=60, check=False
    )


def assert_config_ok(env: dict[str, str], config_file: Path | None, what: str) -> None:
    result = check_config(env, config_file)
    assert result.returncode == 0 and "configuration ok" in result.stdout, (
        f"onramp rejects the configuration of {what}:\n{result.stderr}{result.stdout}"
        f"\nvariables: {sorted(k for k in env if k.startswith('ONRAMP_'))}"
    )


@dataclass
class Image:
    user: tuple[int, int]
    env: dict[str, str]
    exposed: set[int]
    volumes: set[str]


def dockerfile_image() -> Image:
    """USER, ENV, EXPOSE and VOLUME of the Dockerfile's last stage (the production image)."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in joined.splitlines()]
    instructions = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    last_from = max(i for i, (word, *_) in enumerate(instructions) if word.upper() == "FROM")
    image = Image(user=(0, 0), env={}, exposed=set(), volumes=set())
    for word, rest in (pair for pair in instructions[last_from + 1 :] if len(pair) == 2):
        match word.upper():
            case "USER":
                uid, _, gid = rest.partition(":")
                image.user = (int(uid), int(gid or uid))
            case "ENV":
                image.env.update(pair.split("=", 1) for pair in rest.split())
            case "EXPOSE":
                image.exposed |= {int(port.split("/")[0]) for port in rest.split()}
            case "VOLUME":
                image.volumes |= set(json.loads(rest) if rest.startswith("[") else rest.split())
    return image


# --- what the manifests say ------------------------------------------------------------------


def render(kustomization: Path) -> list[Manifest]:
    kustomize = binary("KUSTOMIZE", ROOT / "tools/bin/kustomize")
    output = subprocess.run(
        [kustomize, "build", str(kustomization)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


@dataclass
class Rendered:
    name: str
    objects: list[Manifest]

    def all(self, kind: str) -> list[Manifest]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str) -> Manifest:
        found = self.all(kind)
        assert len(found) == 1, f"{self.name}: expected one {kind}, found {len(found)}"
        return found[0]

    def named(self, kind: str, name: str) -> Manifest:
        found = [o for o in self.all(kind) if o["metadata"]["name"] == name]
        assert found, f"{self.name}: no {kind} named {name}"
        return found[0]

    @property
    def pod(self) -> Manifest:
        return self.one("Deployment")["spec"]["template"]

    @property
    def container(self) -> Manifest:
        containers = self.pod["spec"]["containers"]
        return next(c for c in containers if c["name"] == "onramp")


@pytest.fixture(scope="module", params=list(KUSTOMIZATIONS))
def rendered(request: pytest.FixtureRequest) -> Rendered:
    return Rendered(request.param, render(KUSTOMIZATIONS[request.param]))


def example_secret() -> Manifest:
    secret = yaml.safe_load(EXAMPLE_SECRET.read_text())
    assert secret["kind"] == "Secret"
    return secret


def secret_values(secret: Manifest) -> dict[str, str]:
    values = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    return {**values, **(secret.get("stringData") or {})}


def selects(selector: Manifest, labels: dict[str, str]) -> bool:
    """A label selector (matchLabels and matchExpressions, or a Service's plain map)."""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        present = key in labels
        if not {
            "In": present and labels.get(key) in (values or []),
            "NotIn": not present or labels.get(key) not in (values or []),
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]:
            return False
    return True


def container_port(container: Manifest, port: int | str) -> int:
    """The number a probe's or Service's port (a name or a number) lands on in the container."""
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in container["ports"] if "name" in p}
    assert port in named, f"no container port named {port!r} (has {sorted(named)})"
    return named[port]


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def host_of(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(address.rsplit(":", 1)[0].strip("[]"))


def config_text(r: Rendered) -> str | None:
    """The file the container's `--config` names, read from the ConfigMap volume mounted there."""
    args = r.container.get("args", [])
    if "--config" not in args:
        return None
    path = Path(args[args.index("--config") + 1])
    mount = next(
        (m for m in r.container["volumeMounts"] if path.is_relative_to(m["mountPath"])), None
    )
    assert mount, f"{r.name}: --config {path} is on no volume mount"
    volume = next(v for v in r.pod["spec"]["volumes"] if v["name"] == mount["name"])
    assert "configMap" in volume, f"{r.name}: --config {path} is not on a ConfigMap volume"
    config_map = r.named("ConfigMap", volume["configMap"]["name"])
    relative = str(path.relative_to(mount["mountPath"]))
    items = {i["path"]: i["key"] for i in volume["configMap"].get("items") or []}
    key = items.get(relative, relative) if items else relative
    assert key in config_map["data"], f"{r.name}: ConfigMap has no key {key} for --config {path}"
    return str(config_map["data"][key])


def container_env(r: Rendered) -> dict[str, str]:
    """The variables the container gets: the image's ENV under the pod's env and envFrom, with
    Secret values taken from the example Secret (which therefore has to list every key)."""
    example = example_secret()
    secrets = {example["metadata"]["name"]: secret_values(example)}
    secrets |= {s["metadata"]["name"]: secret_values(s) for s in r.all("Secret")}
    config_maps = {c["metadata"]["name"]: c.get("data") or {} for c in r.all("ConfigMap")}
    env = dict(dockerfile_image().env)
    for source in r.container.get("envFrom") or []:
        if "secretRef" in source:
            env |= secrets[source["secretRef"]["name"]]
        else:
            env |= config_maps[source["configMapRef"]["name"]]
    for variable in r.container.get("env") or []:
        name = variable["name"]
        if "value" in variable:
            env[name] = str(variable["value"])
            continue
        ref = variable["valueFrom"]
        if "secretKeyRef" in ref:
            secret, key = ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"]
            assert key in secrets.get(secret, {}), (
                f"{r.name}: {name} reads key {key!r} of Secret {secret!r}, which "
                f"{EXAMPLE_SECRET.relative_to(ROOT)} does not list"
            )
            env[name] = secrets[secret][key]
        elif "configMapKeyRef" in ref:
            env[name] = config_maps[ref["configMapKeyRef"]["name"]][ref["configMapKeyRef"]["key"]]
        else:
            pytest.fail(f"{r.name}: {name} comes from {ref}, which this test cannot resolve")
    return env


def setting(
    env: dict[str, str], toml: dict[str, Any], variable: str, key: str, default: Any
) -> Any:
    """One setting as onramp layers it: environment over file over default."""
    if variable in env:
        return env[variable]
    section: Any = toml
    for part in key.split("."):
        if not isinstance(section, dict) or part not in section:
            return default
        section = section[part]
    return section


def pod_setting(r: Rendered, variable: str, key: str, default: Any) -> Any:
    text = config_text(r)
    return setting(container_env(r), tomllib.loads(text or ""), variable, key, default)


def admin_listen(r: Rendered) -> str:
    return str(pod_setting(r, "ONRAMP_ADMIN__LISTEN", "admin.listen", default_admin_listen()))


# --- Kubernetes ------------------------------------------------------------------------------


def test_probes_hit_admin_routes_on_the_admin_listener(rendered: Rendered) -> None:
    routes = admin_routes()
    container = rendered.container
    probes = {
        kind: container.get(kind) for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert all(probes.values()), f"{rendered.name}: missing probes: {probes}"
    # Liveness must not depend on the store or Megaport (an outage would restart every pod);
    # readiness is the one that does.
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    admin = admin_listen(rendered)
    assert admin, f"{rendered.name}: the admin listener is off (admin.listen is empty)"
    assert not host_of(admin).is_loopback, (
        f"{rendered.name}: admin.listen {admin} is loopback, out of the kubelet's and "
        "Prometheus' reach"
    )
    for kind, probe in probes.items():
        path = probe["httpGet"]["path"]
        assert path in routes, (
            f"{rendered.name}: {kind} path {path} is not served by admin_http.rs {sorted(routes)}"
        )
        port = container_port(container, probe["httpGet"]["port"])
        assert port == port_of(admin), (
            f"{rendered.name}: {kind} port {port}, admin listener on {admin}"
        )


def test_grpc_port_is_the_listen_address(rendered: Rendered) -> None:
    listen = str(pod_setting(rendered, "ONRAMP_LISTEN", "listen", default_listen()))
    assert not host_of(listen).is_loopback, f"{rendered.name}: listen {listen} is loopback"
    assert container_port(rendered.container, "grpc") == port_of(listen)
    for service in rendered.all("Service"):
        grpc = [p for p in service["spec"]["ports"] if p["name"] == "grpc"]
        assert grpc, f"{rendered.name}: Service {service['metadata']['name']} has no grpc port"
        assert container_port(rendered.container, grpc[0]["targetPort"]) == port_of(listen)


def test_selectors_match_the_pods(rendered: Rendered) -> None:
    deployment = rendered.one("Deployment")
    pod_labels = rendered.pod["metadata"]["labels"]
    assert selects(deployment["spec"]["selector"], pod_labels), "Deployment selector"
    for service in rendered.all("Service"):
        assert selects(service["spec"]["selector"], pod_labels), (
            f"{rendered.name}: Service {service['metadata']['name']} selects no onramp pod"
        )
        for port in service["spec"]["ports"]:
            container_port(rendered.container, port["targetPort"])
    budget = rendered.one("PodDisruptionBudget")
    assert selects(budget["spec"]["selector"], pod_labels), f"{rendered.name}: PDB selector"
    for constraint in rendered.pod["spec"].get("topologySpreadConstraints") or []:
        assert selects(constraint["labelSelector"], pod_labels), f"{rendered.name}: spread selector"


def test_service_monitor_scrapes_metrics_once_per_pod(rendered: Rendered) -> None:
    monitor = rendered.one("ServiceMonitor")
    chosen = [
        s
        for s in rendered.all("Service")
        if selects(monitor["spec"]["selector"], s["metadata"]["labels"])
    ]
    # Two Services over the same pods would scrape each pod twice and double every sum.
    assert len(chosen) == 1, (
        f"{rendered.name}: ServiceMonitor selects {[s['metadata']['name'] for s in chosen]}"
    )
    ports = {p["name"]: p for p in chosen[0]["spec"]["ports"]}
    admin = admin_listen(rendered)
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint.get("path") in admin_routes() and endpoint["path"] == "/metrics"
        assert endpoint["port"] in ports, f"{rendered.name}: Service has no port {endpoint['port']}"
        target = container_port(rendered.container, ports[endpoint["port"]]["targetPort"])
        assert target == port_of(admin), (
            f"{rendered.name}: metrics scraped on {target}, admin on {admin}"
        )


def test_every_onramp_variable_is_read_by_onramp(rendered: Rendered, tmp_path: Path) -> None:
    text = config_text(rendered)
    local = None
    if text is not None:
        local = tmp_path / "onramp.toml"
        local.write_text(text)
    assert_config_ok(container_env(rendered), local, f"the {rendered.name} Deployment")


def test_check_config_refuses_an_unknown_variable() -> None:
    """The test above means something only if onramp refuses what it does not know."""
    result = check_config({"ONRAMP_DEPLOY_CHECK_CANARY": "1"}, None)
    assert result.returncode != 0, f"check-config accepted an unknown variable: {result.stdout}"
    assert "deploy_check_canary" in result.stderr, result.stderr
    assert check_config({}, None).returncode == 0


def test_shutdown_fits_in_the_grace_period(rendered: Rendered) -> None:
    drain = int(
        pod_setting(
            rendered,
            "ONRAMP_SHUTDOWN_GRACE_SECONDS",
            "shutdown_grace_seconds",
            default_shutdown_grace(),
        )
    )
    pre_stop = rendered.container["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = rendered.pod["spec"]["terminationGracePeriodSeconds"]
    assert grace > pre_stop + drain, (
        f"{rendered.name}: terminationGracePeriodSeconds {grace} <= preStop {pre_stop} s "
        f"+ drain {drain} s"
    )


def test_pod_fits_the_image(rendered: Rendered) -> None:
    image = dockerfile_image()
    spec = rendered.pod["spec"]
    # Kubernetes would add ONRAMP_SERVICE_HOST and friends for Services named onramp*, which
    # onramp would refuse as unknown keys.
    assert spec.get("enableServiceLinks") is False, (
        f"{rendered.name}: enableServiceLinks must be false"
    )
    pod_security, security = spec["securityContext"], rendered.container["securityContext"]
    assert (pod_security["runAsUser"], pod_security["runAsGroup"]) == image.user
    assert pod_security["runAsNonRoot"] and image.user[0] != 0
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m for m in rendered.container["volumeMounts"]}
    for volume in image.volumes:
        assert volume in mounts and not mounts[volume].get("readOnly"), (
            f"{rendered.name}: the image's VOLUME {volume} is not mounted writable; with a "
            "read-only root onramp cannot write there"
        )
    ports = {p["containerPort"] for p in rendered.container["ports"]}
    assert ports == image.exposed, (
        f"{rendered.name}: container ports {ports}, image EXPOSE {image.exposed}"
    )


def test_prometheus_rule_carries_the_alert_file(rendered: Rendered) -> None:
    rule = rendered.one("PrometheusRule")
    assert rule["spec"]["groups"] == yaml.safe_load(ALERTS.read_text())["groups"], (
        "run `make prometheusrule`"
    )


def test_overlay_runs_three_replicas_on_postgresql() -> None:
    overlay = Rendered("postgres-replicas", render(KUSTOMIZATIONS["postgres-replicas"]))
    assert overlay.one("Deployment")["spec"]["replicas"] == 3
    env = container_env(overlay)
    assert env["ONRAMP_STORE__URL"].startswith("postgres"), "the overlay must set store.url"


# --- the compose example ---------------------------------------------------------------------


def test_compose_example_agrees_with_onramp() -> None:
    compose = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    replicas = {n: s for n, s in compose["services"].items() if n.startswith("onramp-")}
    assert len(replicas) == 3
    envoy = yaml.safe_load((COMPOSE / "envoy.yaml").read_text())
    cluster = next(c for c in envoy["static_resources"]["clusters"] if c["name"] == "onramp")
    endpoints = [
        e["endpoint"] for g in cluster["load_assignment"]["endpoints"] for e in g["lb_endpoints"]
    ]
    prometheus = yaml.safe_load((COMPOSE / "prometheus.yml").read_text())
    targets = {
        t for c in prometheus["scrape_configs"] for s in c["static_configs"] for t in s["targets"]
    }
    for name, service in replicas.items():
        env = dockerfile_image().env | {k: str(v) for k, v in service["environment"].items()}
        mounts = dict(v.rsplit(":", 2)[:2] for v in service["volumes"])
        command = service["command"]
        config = command[command.index("--config") + 1]
        local = (COMPOSE / next(src for src, dst in mounts.items() if dst == config)).resolve()
        assert_config_ok(env, local, f"compose service {name}")
        if service.get("read_only"):
            writable = set(service.get("tmpfs") or []) | set(mounts.values())
            missing = dockerfile_image().volumes - writable
            assert not missing, f"{name} has a read-only root and no volume at {missing}"
        toml = tomllib.loads(local.read_text())
        grpc = port_of(setting(env, toml, "ONRAMP_LISTEN", "listen", default_listen()))
        admin = port_of(
            setting(env, toml, "ONRAMP_ADMIN__LISTEN", "admin.listen", default_admin_listen())
        )
        assert any(
            e["address"]["socket_address"] == {"address": name, "port_value": grpc}
            and e["health_check_config"]["port_value"] == admin
            for e in endpoints
        ), f"Envoy does not balance over {name}:{grpc} (health on {admin})"
        assert f"{name}:{admin}" in targets, f"Prometheus does not scrape {name}:{admin}"
    assert len(endpoints) == len(replicas)
    health = cluster["health_checks"][0]["http_health_check"]["path"]
    assert health == "/readyz" and health in admin_routes()
    for service in ("prometheus", "grafana"):
        for volume in compose["services"][service]["volumes"]:
            assert (COMPOSE / volume.split(":")[0]).exists(), f"{service} mounts a missing {volume}"
