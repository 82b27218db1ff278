// Command npmpack makes the npm packages of the liveorders server from
// release binaries, the way esbuild and Biome ship theirs: one small package
// per platform (@liveorders/server-<os>-<cpu>, with npm's os and cpu
// fields, holding the binary) and @liveorders/server, whose launcher
// (deploy/npm/server/bin/liveorders) runs the one npm installed. It writes
// each package's tarball (npm pack) to -out.
//
// By default it takes the binaries and the version GoReleaser wrote to
// -dist (`make dist`: dist/artifacts.json and dist/metadata.json), so the
// packages hold the same binaries as the release archives. With -host it
// builds this machine's binary instead, stamped the same way, for a quick
// local package:
//
//	go run ./cmd/npmpack -dist dist -out dist/npm
//	go run ./cmd/npmpack -host -version 0.0.0-dev -out /tmp/npm
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "npmpack:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("npmpack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dist := fs.String("dist", "dist", "GoReleaser's output directory, holding artifacts.json and metadata.json")
	out := fs.String("out", "dist/npm", "directory the tarballs are written to")
	templates := fs.String("templates", filepath.Join("deploy", "npm"), "directory of the package templates (server/ and platform/)")
	host := fs.Bool("host", false, "build this machine's binary with go build (from the current directory's module) instead of reading -dist")
	version := fs.String("version", "", "with -host: the version to stamp and give the packages (semver)")
	commit := fs.String("commit", "", "with -host: the commit to stamp")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var rel release
	var err error
	if *host {
		if *version == "" {
			return errors.New("-host needs -version")
		}
		tmp, err := os.MkdirTemp("", "npmpack-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		rel, err = buildHost(".", tmp, *version, *commit)
		if err != nil {
			return err
		}
	} else if rel, err = fromDist(*dist); err != nil {
		return err
	}
	tarballs, err := pack(*templates, *out, rel)
	if err != nil {
		return err
	}
	for _, t := range tarballs {
		fmt.Fprintln(stdout, t)
	}
	return nil
}
