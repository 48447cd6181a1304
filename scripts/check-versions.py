#!/usr/bin/env python3
"""One version for the service, its protos and the three clients (`make version-check`).

The single source is `version` in the root Cargo.toml's [workspace.package]: the binary reports
it (`onramp --version`) and crates/proto, which compiles the protos the clients are generated
from, inherits it. Everything that states a version must agree with it:

- clients/python/pyproject.toml [project] version (onramp_client.__version__ reads the installed
  metadata, so it has no copy of its own);
- clients/typescript/package.json, and package-lock.json's copies of it;
- the Go module: Go versions are tags (clients/go/vX.Y.Z), so there is no file to compare, but
  from v2 on the module path must end in /vN; with --go-version, the version the Makefile
  publishes to the local GOPROXY (it derives it from --print, so it cannot drift, and this
  says so if it ever stops being derived);
- the versions clients/README.md shows in install commands.

`--print` prints the source version (the Makefile reads it from here).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def source_version() -> str:
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    version = str(cargo["workspace"]["package"]["version"])
    if not SEMVER.match(version):
        sys.exit(f"version-check: Cargo.toml [workspace.package] version {version!r} is not X.Y.Z")
    return version


def stated_versions(go_version: str | None) -> list[tuple[str, str]]:
    """(where, version) for every place that states the version, compared as X.Y.Z."""
    found: list[tuple[str, str]] = []
    proto = tomllib.loads((ROOT / "crates/proto/Cargo.toml").read_text())["package"]["version"]
    # `version.workspace = true` inherits the source; a literal would be a second copy.
    found.append(("crates/proto/Cargo.toml version", "inherited" if proto == {"workspace": True} else str(proto)))

    pyproject = tomllib.loads((ROOT / "clients/python/pyproject.toml").read_text())
    found.append(("clients/python/pyproject.toml [project] version", str(pyproject["project"]["version"])))

    package = json.loads((ROOT / "clients/typescript/package.json").read_text())
    found.append(("clients/typescript/package.json version", str(package["version"])))
    lock = json.loads((ROOT / "clients/typescript/package-lock.json").read_text())
    found.append(("clients/typescript/package-lock.json version", str(lock["version"])))
    found.append(('clients/typescript/package-lock.json packages[""].version', str(lock["packages"][""]["version"])))

    if go_version is not None:
        found.append(("Go version published to the local GOPROXY (--go-version)", go_version.removeprefix("v")))

    readme = (ROOT / "clients/README.md").read_text()
    patterns = {
        "npm tarball": r"onramp-dev-onramp-client-(\d+\.\d+\.\d+)\.tgz",
        "Python wheel or sdist": r"onramp_client-(\d+\.\d+\.\d+)",
        "Go module version": r"clients/go@v(\d+\.\d+\.\d+)",
    }
    for what, pattern in patterns.items():
        for match in re.finditer(pattern, readme):
            line = readme.count("\n", 0, match.start()) + 1
            found.append((f"clients/README.md:{line} {what}", match.group(1)))
    return found


def go_module_problem(version: str) -> str | None:
    """Go's semantic import versioning: v0/v1 use the bare path, vN (N >= 2) must end in /vN."""
    go_mod = (ROOT / "clients/go/go.mod").read_text()
    path = re.search(r"^module\s+(\S+)", go_mod, re.M)
    if path is None:
        return "clients/go/go.mod has no module line"
    major = int(version.split(".")[0])
    suffix = re.search(r"/v(\d+)$", path.group(1))
    if major >= 2 and (suffix is None or int(suffix.group(1)) != major):
        return f"clients/go/go.mod module {path.group(1)} must end in /v{major} for version {version}"
    if major < 2 and suffix is not None:
        return f"clients/go/go.mod module {path.group(1)} has a /vN suffix but the version is {version}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--print", action="store_true", help="print the source version and exit")
    parser.add_argument("--go-version", help="the version published for the Go module (vX.Y.Z)")
    args = parser.parse_args()
    version = source_version()
    if args.print:
        print(version)
        return 0
    problems = [
        f"{where}: {stated} (Cargo.toml [workspace.package] version is {version})"
        for where, stated in stated_versions(args.go_version)
        if stated not in (version, "inherited")
    ]
    go_problem = go_module_problem(version)
    if go_problem:
        problems.append(go_problem)
    if problems:
        print("version-check: versions disagree:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"version-check: {version} everywhere (Cargo workspace, proto crate, Python, TypeScript, Go, clients/README.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
