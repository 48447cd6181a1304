package onramp_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/onramp-dev/onramp/clients/go"
	onrampv1 "github.com/onramp-dev/onramp/clients/go/gen/onramp/v1"
)

// step is one thing a fake stream does: deliver msg, or fail with err (io.EOF = clean end).
type step struct {
	msg *onrampv1.WatchServiceKeysResponse
	err error
}

type fakeStream struct {
	grpc.ClientStream // unused methods; Recv is all the watcher needs
	steps             []step
}

func (s *fakeStream) Recv() (*onrampv1.WatchServiceKeysResponse, error) {
	if len(s.steps) == 0 {
		return nil, io.EOF
	}
	st := s.steps[0]
	s.steps = s.steps[1:]
	return st.msg, st.err
}

// fakeServer plays one script per opened stream and records the requests.
type fakeServer struct {
	scripts  [][]step
	requests []*onrampv1.WatchServiceKeysRequest
}

func (f *fakeServer) open(_ context.Context, req *onrampv1.WatchServiceKeysRequest) (grpc.ServerStreamingClient[onrampv1.WatchServiceKeysResponse], error) {
	f.requests = append(f.requests, req)
	script := f.scripts[0]
	f.scripts = f.scripts[1:]
	return &fakeStream{steps: script}, nil
}

func (f *fakeServer) tokens() []string {
	var out []string
	for _, r := range f.requests {
		out = append(out, r.GetResumeToken())
	}
	return out
}

func snapshotMsg(rev int64, token string, last bool) step {
	return step{msg: &onrampv1.WatchServiceKeysResponse{
		Revision: rev, ResumeToken: token,
		Kind: &onrampv1.WatchServiceKeysResponse_Snapshot{Snapshot: &onrampv1.ServiceKeySnapshot{LastChunk: last}},
	}}
}

func changesMsg(rev int64, token string) step {
	return step{msg: &onrampv1.WatchServiceKeysResponse{
		Revision: rev, ResumeToken: token,
		Kind: &onrampv1.WatchServiceKeysResponse_Changes{Changes: &onrampv1.ServiceKeyChangeBatch{}},
	}}
}

func fail(c codes.Code) step { return step{err: status.Error(c, c.String())} }

var noSleep = onramp.WatchConfig{Sleep: func(context.Context, time.Duration) error { return nil }}

func revisions(t *testing.T, w *onramp.KeyWatcher, n int) []int64 {
	t.Helper()
	var out []int64
	for range n {
		msg, err := w.Next()
		if err != nil {
			t.Fatalf("after %v: %v", out, err)
		}
		out = append(out, msg.GetRevision())
	}
	return out
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWatcherResumesAfterUnavailableWithoutLoss(t *testing.T) {
	f := &fakeServer{scripts: [][]step{
		{snapshotMsg(1, "t1", true), changesMsg(2, "t2"), fail(codes.Unavailable)},
		{changesMsg(3, "t3"), changesMsg(4, "t4")},
	}}
	w := onramp.NewKeyWatcher(context.Background(), f.open, &onrampv1.WatchServiceKeysRequest{PortUid: "port-1", CustomerRef: "acme"}, noSleep)
	defer w.Close()
	if got := revisions(t, w, 4); !equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("revisions %v", got)
	}
	if got := f.tokens(); !equal(got, []string{"", "t2"}) {
		t.Fatalf("resume tokens sent %q", got)
	}
	for _, r := range f.requests {
		if r.GetPortUid() != "port-1" || r.GetCustomerRef() != "acme" {
			t.Fatalf("filters lost: %v", r)
		}
	}
	if w.ResumeToken() != "t4" || w.Reconnects() != 1 {
		t.Fatalf("token %q reconnects %d", w.ResumeToken(), w.Reconnects())
	}
}

func TestWatcherReconnectsWhenTheStreamEnds(t *testing.T) {
	f := &fakeServer{scripts: [][]step{{snapshotMsg(5, "t5", true)}, {changesMsg(6, "t6")}}}
	w := onramp.NewKeyWatcher(context.Background(), f.open, nil, noSleep)
	defer w.Close()
	if got := revisions(t, w, 2); !equal(got, []int64{5, 6}) {
		t.Fatalf("revisions %v", got)
	}
	if got := f.tokens(); !equal(got, []string{"", "t5"}) {
		t.Fatalf("resume tokens sent %q", got)
	}
}

func TestWatcherResumesAfterAbortedSlowReader(t *testing.T) {
	f := &fakeServer{scripts: [][]step{{changesMsg(7, "t7"), fail(codes.Aborted)}, {changesMsg(8, "t8")}}}
	w := onramp.NewKeyWatcher(context.Background(), f.open, &onrampv1.WatchServiceKeysRequest{ResumeToken: "t6"}, noSleep)
	defer w.Close()
	if got := revisions(t, w, 2); !equal(got, []int64{7, 8}) {
		t.Fatalf("revisions %v", got)
	}
	if got := f.tokens(); !equal(got, []string{"t6", "t7"}) {
		t.Fatalf("resume tokens sent %q", got)
	}
}

func TestWatcherSnapshotChunkWithoutTokenDoesNotMoveTheToken(t *testing.T) {
	f := &fakeServer{scripts: [][]step{
		{snapshotMsg(9, "", false), fail(codes.Unavailable)},
		{snapshotMsg(9, "", false), snapshotMsg(9, "t9", true)},
	}}
	w := onramp.NewKeyWatcher(context.Background(), f.open, nil, noSleep)
	defer w.Close()
	if got := revisions(t, w, 3); !equal(got, []int64{9, 9, 9}) {
		t.Fatalf("revisions %v", got)
	}
	if got := f.tokens(); !equal(got, []string{"", ""}) {
		t.Fatalf("resume tokens sent %q", got)
	}
	if w.ResumeToken() != "t9" {
		t.Fatalf("token %q", w.ResumeToken())
	}
}

func TestWatcherReturnsOtherErrors(t *testing.T) {
	f := &fakeServer{scripts: [][]step{{fail(codes.InvalidArgument)}}}
	w := onramp.NewKeyWatcher(context.Background(), f.open, &onrampv1.WatchServiceKeysRequest{ResumeToken: "garbage"}, noSleep)
	defer w.Close()
	_, err := w.Next()
	if status.Code(err) != codes.InvalidArgument || len(f.requests) != 1 {
		t.Fatalf("err %v after %d streams", err, len(f.requests))
	}
}

func TestWatcherGivesUpAfterMaxAttemptsWithBackoff(t *testing.T) {
	var slept []time.Duration
	f := &fakeServer{scripts: [][]step{{fail(codes.Unavailable)}, {fail(codes.Unavailable)}, {fail(codes.Unavailable)}, {fail(codes.Unavailable)}}}
	cfg := onramp.WatchConfig{
		InitialBackoff: time.Second, MaxBackoff: 2 * time.Second, MaxAttempts: 3,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
	}
	w := onramp.NewKeyWatcher(context.Background(), f.open, nil, cfg)
	defer w.Close()
	_, err := w.Next()
	if status.Code(err) != codes.Unavailable || len(f.requests) != 4 || len(slept) != 3 {
		t.Fatalf("err %v, %d streams, slept %v", err, len(f.requests), slept)
	}
	if slept[0] < 500*time.Millisecond || slept[0] > time.Second || slept[1] < time.Second || slept[2] > 2*time.Second {
		t.Fatalf("backoff %v", slept)
	}
}

func TestWatcherStopsWhenClosed(t *testing.T) {
	f := &fakeServer{scripts: [][]step{{changesMsg(1, "t1"), changesMsg(2, "t2")}}}
	w := onramp.NewKeyWatcher(context.Background(), f.open, nil, noSleep)
	if got := revisions(t, w, 1); !equal(got, []int64{1}) {
		t.Fatalf("revisions %v", got)
	}
	w.Close()
	if _, err := w.Next(); !errors.Is(err, context.Canceled) {
		t.Fatalf("after Close: %v", err)
	}
}
