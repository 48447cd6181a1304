package onramp

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	onrampv1 "github.com/onramp-dev/onramp/clients/go/gen/onramp/v1"
)

// KeyWatcher follows WatchServiceKeys across disconnects.
//
// The stream's contract (service_key_service.proto): every message but a non-final snapshot
// chunk carries a resume token, and reconnecting with the last one received replays exactly what
// followed it, across server restarts. The server ends streams with UNAVAILABLE on shutdown and
// ABORTED when a reader falls behind; both mean "reconnect with your token", and a stream that
// simply ends is treated the same. So the watcher keeps the token of the last message returned by
// Next and reconnects with it, backing off between failed attempts. Other errors (a bad token,
// permission denied, the context ending) are returned by Next.
//
// A stream that drops in the middle of a snapshot starts the snapshot again on reconnect; a
// client replaces its cache only on last_chunk, so it loses nothing.
type KeyWatcher struct {
	open        func(ctx context.Context, req *onrampv1.WatchServiceKeysRequest) (grpc.ServerStreamingClient[onrampv1.WatchServiceKeysResponse], error)
	ctx         context.Context
	cancel      context.CancelFunc
	req         *onrampv1.WatchServiceKeysRequest
	stream      grpc.ServerStreamingClient[onrampv1.WatchServiceKeysResponse]
	streamStop  context.CancelFunc
	resumeToken string
	failures    int
	reconnects  int
	cfg         WatchConfig
}

// WatchConfig tunes the reconnects. The zero value retries forever with 100 ms..5 s backoff.
type WatchConfig struct {
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// MaxAttempts is how many consecutive failed attempts are retried before Next returns the
	// error; 0 = forever.
	MaxAttempts int
	// Sleep waits between attempts; tests replace it. It returns early with ctx's error.
	Sleep func(ctx context.Context, d time.Duration) error
}

// WatchServiceKeys starts following service keys. req sets the filters and, to continue an
// earlier watch, its resume token. The watch ends when ctx ends or Close is called.
func (c *Client) WatchServiceKeys(ctx context.Context, req *onrampv1.WatchServiceKeysRequest, cfg WatchConfig, opts ...grpc.CallOption) *KeyWatcher {
	return NewKeyWatcher(ctx, func(ctx context.Context, req *onrampv1.WatchServiceKeysRequest) (grpc.ServerStreamingClient[onrampv1.WatchServiceKeysResponse], error) {
		return c.ServiceKeys.WatchServiceKeys(ctx, req, opts...)
	}, req, cfg)
}

// NewKeyWatcher is WatchServiceKeys over any way of opening the stream (e.g. a fake in tests).
func NewKeyWatcher(
	ctx context.Context,
	open func(ctx context.Context, req *onrampv1.WatchServiceKeysRequest) (grpc.ServerStreamingClient[onrampv1.WatchServiceKeysResponse], error),
	req *onrampv1.WatchServiceKeysRequest,
	cfg WatchConfig,
) *KeyWatcher {
	if req == nil {
		req = &onrampv1.WatchServiceKeysRequest{}
	}
	if cfg.InitialBackoff <= 0 {
		cfg.InitialBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	ctx, cancel := context.WithCancel(ctx)
	return &KeyWatcher{
		open:        open,
		ctx:         ctx,
		cancel:      cancel,
		req:         proto.Clone(req).(*onrampv1.WatchServiceKeysRequest),
		resumeToken: req.GetResumeToken(),
		cfg:         cfg,
	}
}

// Next returns the next message, reconnecting as needed.
func (w *KeyWatcher) Next() (*onrampv1.WatchServiceKeysResponse, error) {
	for {
		if err := w.ctx.Err(); err != nil {
			return nil, err
		}
		if w.stream == nil {
			req := proto.Clone(w.req).(*onrampv1.WatchServiceKeysRequest)
			req.ResumeToken = w.resumeToken
			streamCtx, stop := context.WithCancel(w.ctx)
			stream, err := w.open(streamCtx, req)
			if err != nil {
				stop()
				if err := w.retry(err); err != nil {
					return nil, err
				}
				continue
			}
			w.stream, w.streamStop = stream, stop
		}
		msg, err := w.stream.Recv()
		if err != nil {
			w.dropStream()
			if err := w.retry(err); err != nil {
				return nil, err
			}
			continue
		}
		w.failures = 0
		if t := msg.GetResumeToken(); t != "" {
			w.resumeToken = t
		}
		return msg, nil
	}
}

// ResumeToken is the token of the last message Next returned: store it to continue elsewhere.
func (w *KeyWatcher) ResumeToken() string { return w.resumeToken }

// Reconnects counts the streams opened after the first.
func (w *KeyWatcher) Reconnects() int { return w.reconnects }

// Close ends the watch: it cancels the watcher's context, which cancels the stream in flight
// (its context derives from it), and Next then returns context.Canceled. It only cancels, so it
// is safe to call from another goroutine while Next is blocked.
func (w *KeyWatcher) Close() {
	w.cancel()
}

func (w *KeyWatcher) dropStream() {
	if w.streamStop != nil {
		w.streamStop()
	}
	w.stream, w.streamStop = nil, nil
}

// retry returns nil after backing off if err is worth a reconnect, else the error to return.
func (w *KeyWatcher) retry(err error) error {
	if ctxErr := w.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if !resumable(err) {
		return err
	}
	w.failures++
	if w.cfg.MaxAttempts > 0 && w.failures > w.cfg.MaxAttempts {
		return err
	}
	w.reconnects++
	backoff := w.cfg.InitialBackoff << (w.failures - 1)
	if backoff > w.cfg.MaxBackoff || backoff <= 0 {
		backoff = w.cfg.MaxBackoff
	}
	jittered := backoff/2 + rand.N(backoff/2+1)
	return w.cfg.Sleep(w.ctx, jittered)
}

func resumable(err error) bool {
	if errors.Is(err, io.EOF) {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Aborted:
		return true
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
