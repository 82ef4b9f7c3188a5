// Command ferretdb-sqlite runs FerretDB v1 with its SQLite backend on a loopback
// address. It exists because `go install .../cmd/ferretdb` panics at start
// (missing build/version/version.txt, FerretDB issue #2982); the embeddable
// package has no such requirement.
//
// Usage: ferretdb-sqlite -listen 127.0.0.1:27017 -data /abs/dir
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func query(params string) string {
	if params == "" {
		return ""
	}
	return "?" + params
}

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	data := flag.String("data", "", "directory for the SQLite databases (required)")
	// Extra SQLite URI parameters (e.g. "_txlock=immediate"), for experiments with FerretDB's
	// behaviour under concurrent writes (docs/mongo-for-ci.md).
	params := flag.String("sqlite-params", "", "query parameters appended to the SQLite URI")
	flag.Parse()

	if *data == "" {
		fmt.Fprintln(os.Stderr, "ferretdb-sqlite: -data is required")
		os.Exit(2)
	}
	dir, err := filepath.Abs(*data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-sqlite:", err)
		os.Exit(2)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-sqlite:", err)
		os.Exit(1)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/" + query(*params),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-sqlite:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Printf("ferretdb-sqlite listening on %s (data %s)\n", *listen, dir)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "ferretdb-sqlite:", err)
		os.Exit(1)
	}
}
