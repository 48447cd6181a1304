package onramp_test

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/onramp-dev/onramp/clients/go"
	onrampv1 "github.com/onramp-dev/onramp/clients/go/gen/onramp/v1"
)

func TestHealthIsServing(t *testing.T) {
	c := dial(t)
	for _, service := range []string{"", "onramp.v1.CatalogService"} {
		status, err := c.CheckHealth(context.Background(), service)
		if err != nil || status != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %q: %v, %v", service, status, err)
		}
	}
}

func TestNegativePageSizeIsAFieldViolation(t *testing.T) {
	c := dial(t)
	_, err := c.Catalog.ListOnRamps(context.Background(), &onrampv1.ListOnRampsRequest{PageSize: -1})
	d := onramp.Details(err)
	if d == nil || d.Code != codes.InvalidArgument {
		t.Fatalf("want INVALID_ARGUMENT, got %v", err)
	}
	if d.Domain != "onramp" || d.Reason != "INVALID_FIELD" {
		t.Fatalf("ErrorInfo: %+v", d)
	}
	v := d.Violation("page_size")
	if v == nil || v.Description == "" {
		t.Fatalf("no page_size violation with a description in %+v", d.FieldViolations)
	}
}

func TestDetailsOfNonStatusErrors(t *testing.T) {
	if onramp.Details(nil) != nil {
		t.Fatal("nil error has no details")
	}
	if onramp.Details(context.Canceled) != nil {
		t.Fatal("a plain error has no details")
	}
}

// recordingHealth is a health server that records the authorization header it receives, so the
// test sees exactly what the client sent (onramp itself only says whether a token was accepted).
type recordingHealth struct {
	*health.Server
	seen chan []string
}

func (h recordingHealth) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	h.seen <- md.Get("authorization")
	return h.Server.Check(ctx, req)
}

func TestTokenIsSentAsBearerAndOverriddenPerCall(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	rec := recordingHealth{Server: health.NewServer(), seen: make(chan []string, 4)}
	healthpb.RegisterHealthServer(srv, rec)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	c, err := onramp.Dial(lis.Addr().String(), onramp.WithToken("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.CheckHealth(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckHealth(onramp.ContextWithToken(ctx, "other"), ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Bearer s3cret", "Bearer other"} {
		if got := <-rec.seen; len(got) != 1 || got[0] != want {
			t.Fatalf("authorization = %q, want [%q]", got, want)
		}
	}
}
