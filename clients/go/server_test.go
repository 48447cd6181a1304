package onramp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/onramp-dev/onramp/clients/go"
)

// serverAddress is the onramp binary TestMain started for this package's tests.
var serverAddress string

// fastPolling makes the server poll the sandbox every 100 ms, so watch events and order progress
// arrive within a second. The server maps `__` in ONRAMP_* names to config sections.
var fastPolling = []string{
	"ONRAMP_WATCH__POLL_INTERVAL_MILLIS=100",
	"ONRAMP_WATCH__PROGRESS_INTERVAL_MILLIS=300",
	"ONRAMP_ORDERS__POLL_INTERVAL_MILLIS=100",
	"ONRAMP_APPROVALS__POLL_INTERVAL_SECONDS=1",
	// Servers run side by side: the admin listener on a free port, not the fixed default.
	"ONRAMP_ADMIN__LISTEN=127.0.0.1:0",
}

// TestMain starts the real onramp binary ($ONRAMP_SERVER_BINARY, set by `make client-test`,
// else the repository's target/debug/onramp) once, on a free loopback port, with the embedded
// Megaport sandbox and a throwaway data directory, and waits for health SERVING.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dataDir, err := os.MkdirTemp("", "onramp-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dataDir)
	srv, err := startServer(dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = srv.terminate() }()
	serverAddress = srv.address
	return m.Run()
}

// testServer is one onramp process on address with dataDir; restart runs a new process on the
// same address and data directory.
type testServer struct {
	binary, address, dataDir string
	log                      *os.File
	cmd                      *exec.Cmd
	exited                   chan error
}

// startServer starts onramp on a free port with dataDir and waits until it is SERVING.
func startServer(dataDir string) (*testServer, error) {
	binary := os.Getenv("ONRAMP_SERVER_BINARY")
	if binary == "" {
		binary = filepath.Join("..", "..", "target", "debug", "onramp")
	}
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("%s: %v (run `make onramp-bin` or set ONRAMP_SERVER_BINARY)", binary, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	log, err := os.OpenFile(filepath.Join(dataDir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	s := &testServer{binary: binary, address: fmt.Sprintf("127.0.0.1:%d", port), dataDir: dataDir, log: log}
	if err := s.start(); err != nil {
		_ = log.Close()
		return nil, err
	}
	return s, nil
}

func (s *testServer) start() error {
	cmd := exec.Command(s.binary, "serve", "--listen", s.address, "--data-dir", s.dataDir)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	cmd.Env = serverEnv()
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.exited = cmd, make(chan error, 1)
	go func() { s.exited <- cmd.Wait() }()
	if err := waitServing(s.address, s.exited); err != nil {
		_ = s.terminate()
		return fmt.Errorf("onramp did not start: %v\n%s", err, s.logTail())
	}
	return nil
}

// terminate sends SIGTERM and waits for the exit (15 s, then SIGKILL).
func (s *testServer) terminate() error {
	if s.cmd == nil {
		return nil
	}
	defer func() { s.cmd = nil }()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		return err
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("onramp did not stop within 15 s of SIGTERM")
	}
}

// restart stops the process with SIGTERM and starts a new one on the same port and data dir.
func (s *testServer) restart() error {
	if err := s.terminate(); err != nil {
		return fmt.Errorf("stopping: %v\n%s", err, s.logTail())
	}
	return s.start()
}

func (s *testServer) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dataDir, "server.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// newServer starts a server of the test's own (e.g. to restart it), stopped with the test.
func newServer(t *testing.T) *testServer {
	t.Helper()
	s, err := startServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.terminate()
		_ = s.log.Close()
	})
	return s
}

// serverEnv drops ONRAMP_* variables (the server reads them as config and rejects unknown ones;
// the suite wants the defaults: embedded sandbox, no credentials) and adds fastPolling.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ONRAMP_") {
			env = append(env, kv)
		}
	}
	return append(env, fastPolling...)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitServing(address string, exited <-chan error) error {
	c, err := onramp.Dial(address)
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
	return dialAddress(t, serverAddress, opts...)
}

func dialAddress(t *testing.T, address string, opts ...onramp.Option) *onramp.Client {
	t.Helper()
	c, err := onramp.Dial(address, append([]onramp.Option{onramp.WithToken("test-token"), onramp.WithDefaultTimeout(10 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
