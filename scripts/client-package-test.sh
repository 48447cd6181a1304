#!/usr/bin/env bash
# The clients as users install them (`make client-package-test`): each language's suite runs
# against the built package installed in a scratch place outside the checkout, so a file missing
# from the package, a wrong entry point or a broken module path fails here rather than for a user.
#
#   scripts/client-package-test.sh python      # the wheel in clients/python/dist (make client-package-python)
#   scripts/client-package-test.sh typescript  # `npm pack`, installed into a scratch npm project
#   scripts/client-package-test.sh go          # the module from a local GOPROXY, by its import path
#
# Needs ONRAMP_SERVER_BINARY (the suites start the real server) and VERSION (the one version,
# scripts/check-versions.py --print). PYTHON, NPM and GO may name the tools.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
: "${ONRAMP_SERVER_BINARY:?set ONRAMP_SERVER_BINARY to the onramp binary}" "${VERSION:?set VERSION}"
PYTHON="${PYTHON:-python3}" NPM="${NPM:-npm}" GO="${GO:-go}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/onramp-package-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

python_package() {
  local wheel="$root/clients/python/dist/onramp_client-$VERSION-py3-none-any.whl"
  test -f "$wheel" || { echo "$wheel not found: run make client-package-python" >&2; exit 1; }
  "$PYTHON" -m venv "$scratch/venv"
  "$scratch/venv/bin/pip" install --quiet --disable-pip-version-check \
    -r "$root/clients/python/requirements-test.txt" "$wheel"
  # From the scratch directory nothing of the checkout is importable: the tests (importlib mode,
  # from pyproject's pytest settings) import onramp_client from the venv; test_package.py checks.
  cd "$scratch"
  "$scratch/venv/bin/python" -m pytest -q -p no:cacheprovider \
    -c "$root/clients/python/pyproject.toml" --rootdir "$root/clients/python" "$root/clients/python/tests"
}

typescript_package() {
  local pkg="$root/clients/typescript"
  # prepack builds dist/; a fresh one, so nothing stale from an earlier build is packed.
  rm -rf "$pkg/dist"
  (cd "$pkg" && "$NPM" pack --silent --pack-destination "$scratch" >/dev/null)
  local tarball="$scratch/onramp-dev-onramp-client-$VERSION.tgz"
  test -f "$tarball" || { echo "npm pack did not write $tarball" >&2; exit 1; }
  # A user's project: the tarball plus what the tests themselves import (the client's own
  # dependencies and dev tools, at the client's pinned versions). The tests are the checkout's,
  # copied; tsconfig drops the paths that point the package name at src/ in the checkout.
  mkdir "$scratch/project"
  cp -r "$pkg/test" "$scratch/project/test"
  node --input-type=module - "$pkg" "$tarball" "$scratch/project" <<'EOF'
import { readFileSync, writeFileSync } from "node:fs";
const [pkgDir, tarball, project] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(`${pkgDir}/package.json`, "utf8"));
writeFileSync(`${project}/package.json`, JSON.stringify({
  name: "onramp-client-package-test",
  private: true,
  type: "module",
  dependencies: { [pkg.name]: `file:${tarball}`, ...pkg.dependencies },
  devDependencies: pkg.devDependencies,
}, null, 2));
writeFileSync(`${project}/tsconfig.json`, JSON.stringify({
  extends: `${pkgDir}/tsconfig.json`,
  compilerOptions: { rootDir: ".", paths: {} },
  include: ["test"],
}, null, 2));
EOF
  cd "$scratch/project"
  "$NPM" install --no-audit --no-fund --silent
  # Under tsx, as the tests run, the package name must mean the installed tarball.
  node --import tsx --input-type=module -e '
    const url = import.meta.resolve("@onramp-dev/onramp-client");
    if (!url.includes("/node_modules/@onramp-dev/onramp-client/dist/")) throw new Error(`resolved to ${url}`);
    console.log(`@onramp-dev/onramp-client resolved to ${url}`);'
  # The tests type-check against the published .d.ts files, then run against the published .js.
  npx --no-install tsc --noEmit
  node --import tsx --test test/*.test.ts
}

go_package() {
  local module=github.com/onramp-dev/onramp/clients/go upstream
  upstream="$("$GO" env GOPROXY)"
  # Publish clients/go as v$VERSION into a GOPROXY file tree, as a release tag would.
  (cd "$root/scripts/go-local-proxy" && "$GO" run . -dir "$root/clients/go" -version "v$VERSION" -out "$scratch/proxy")
  # A scratch module cache, so the module comes from that tree (not an older copy of the same
  # version cached by an earlier run); the dependencies come from the machine's module cache,
  # which is a GOPROXY tree too, and only then from the configured proxy.
  export GOMODCACHE="$scratch/modcache"
  export GOPROXY="file://$scratch/proxy,file://$("$GO" env GOMODCACHE)/cache/download,$upstream"
  # No checksum database knows an unpublished module; go.sum still records its hash.
  export GONOSUMDB="$module"
  export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -modcacherw"
  mkdir "$scratch/app" && cd "$scratch/app"
  cat > go.mod <<EOF
module example.com/onramp-client-package-test

go $(sed -n 's/^go //p' "$root/clients/go/go.mod")
EOF
  cat > main.go <<'EOF'
// Dials onramp with the published client and lists the countries: what a user's program does.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	onramp "github.com/onramp-dev/onramp/clients/go"
	onrampv1 "github.com/onramp-dev/onramp/clients/go/gen/onramp/v1"
)

func main() {
	c, err := onramp.Dial(os.Args[1], onramp.WithDefaultTimeout(5*time.Second))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := c.Catalog.ListCountries(context.Background(), &onrampv1.ListCountriesRequest{})
		if err == nil && len(resp.GetCountries()) > 0 {
			for _, country := range resp.GetCountries() {
				fmt.Print(country.GetName(), " ")
			}
			fmt.Println()
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "ListCountries:", err)
			os.Exit(1)
		}
		time.Sleep(100 * time.Millisecond) // the server is still starting
	}
}
EOF
  "$GO" get "$module@v$VERSION"
  "$GO" mod tidy
  if grep -q '^replace\|=>' go.mod; then echo "go.mod has a replace directive" >&2; exit 1; fi
  local dir
  dir="$("$GO" list -f '{{.Dir}}' "$module")"
  [[ "$dir" == "$GOMODCACHE"/* ]] || { echo "$module resolved to $dir, not the module cache" >&2; exit 1; }
  echo "$module resolved to $dir"
  "$GO" vet ./...
  "$GO" build -o app .
  # The program against a server of its own (loopback, embedded sandbox, no credentials).
  local port server
  port="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  env $(env | sed -n 's/^\(ONRAMP_[^=]*\)=.*/-u \1/p') ONRAMP_ADMIN__LISTEN=127.0.0.1:0 \
    "$ONRAMP_SERVER_BINARY" serve --listen "127.0.0.1:$port" --data-dir "$scratch/data" >"$scratch/server.log" 2>&1 &
  server=$!
  if ! ./app "127.0.0.1:$port"; then
    kill "$server"; wait "$server" || true; tail -20 "$scratch/server.log" >&2; exit 1
  fi
  kill "$server"; wait "$server" || true
  # And the module's own suite, from the downloaded copy.
  "$GO" test -count=1 "$module/..."
}

case "${1:-}" in
  python) python_package ;;
  typescript) typescript_package ;;
  go) go_package ;;
  *) echo "usage: $0 python|typescript|go" >&2; exit 2 ;;
esac
