// Command go-local-proxy publishes one version of a Go module from a directory into a GOPROXY
// file tree, the layout a module proxy serves (https://go.dev/ref/mod#goproxy-protocol):
//
//	<out>/<escaped module path>/@v/{list, <version>.info, <version>.mod, <version>.zip}
//
// With GOPROXY=file://<out> a module resolves by its import path exactly as a user's would from a
// published release, with no replace directive and no network: `make client-package-go` uses it
// for clients/go. The zip is made by golang.org/x/mod/zip, which applies the go command's own
// rules (file names, size limits, no nested modules or vendor directory).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

func main() {
	dir := flag.String("dir", "", "module root (the directory with go.mod)")
	version := flag.String("version", "", "version to publish, e.g. v0.1.0")
	out := flag.String("out", "", "GOPROXY directory to write into")
	flag.Parse()
	if err := publish(*dir, *version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "go-local-proxy:", err)
		os.Exit(1)
	}
}

func publish(dir, version, out string) error {
	if dir == "" || version == "" || out == "" {
		return fmt.Errorf("-dir, -version and -out are required")
	}
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	mv := module.Version{Path: modfile.ModulePath(goMod), Version: version}
	if err := module.Check(mv.Path, mv.Version); err != nil {
		return err
	}
	escaped, err := module.EscapePath(mv.Path)
	if err != nil {
		return err
	}
	versions := filepath.Join(out, escaped, "@v")
	if err := os.MkdirAll(versions, 0o755); err != nil {
		return err
	}
	base := filepath.Join(versions, version)
	zip, err := os.Create(base + ".zip")
	if err != nil {
		return err
	}
	if err := modzip.CreateFromDir(zip, mv, dir); err != nil {
		zip.Close()
		return err
	}
	if err := zip.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(base+".mod", goMod, 0o644); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".info", info, 0o644); err != nil {
		return err
	}
	// One version per tree: the Makefile writes a fresh tree for each run.
	if err := os.WriteFile(filepath.Join(versions, "list"), []byte(version+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s@%s -> %s\n", mv.Path, mv.Version, out)
	return nil
}
