package onramp_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/onramp-dev/onramp/clients/go"
)

// serverAddress is the onramp binary TestMain started for this package's tests.
var serverAddress string

// TestMain starts the real onramp binary ($ONRAMP_SERVER_BINARY, set by `make client-test`,
// else the repository's target/debug/onramp) once, on a free loopback port, with the embedded
// Megaport sandbox and a throwaway data directory, and waits for health SERVING.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	binary := os.Getenv("ONRAMP_SERVER_BINARY")
	if binary == "" {
		binary = filepath.Join("..", "..", "target", "debug", "onramp")
	}
	if _, err := os.Stat(binary); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v (run `make onramp-bin` or set ONRAMP_SERVER_BINARY)\n", binary, err)
		return 1
	}
	dataDir, err := os.MkdirTemp("", "onramp-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dataDir)
	port, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	serverAddress = fmt.Sprintf("127.0.0.1:%d", port)
	logFile, err := os.Create(filepath.Join(dataDir, "server.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command(binary, "serve", "--listen", serverAddress, "--data-dir", dataDir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = serverEnv()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	if err := waitServing(exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(dataDir, "server.log"))
		fmt.Fprintf(os.Stderr, "onramp did not start: %v\n%s\n", err, log)
		return 1
	}
	return m.Run()
}

// serverEnv drops ONRAMP_* variables: the server reads them as config (and rejects unknown
// ones), and the suite wants the defaults: embedded sandbox, no credentials.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ONRAMP_") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitServing(exited <-chan error) error {
	c, err := onramp.Dial(serverAddress)
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		status, err := c.CheckHealth(ctx, "")
		cancel()
		if err == nil && status == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not SERVING after 60s (last: %v, %v)", status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dial connects to the test server; the connection closes with the test.
func dial(t *testing.T, opts ...onramp.Option) *onramp.Client {
	t.Helper()
	c, err := onramp.Dial(serverAddress, append([]onramp.Option{onramp.WithToken("test-token"), onramp.WithDefaultTimeout(10 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
