package onramp_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/onramp-dev/onramp/clients/go"
	onrampv1 "github.com/onramp-dev/onramp/clients/go/gen/onramp/v1"
)

const (
	acmePort      = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a"
	quantumGPULA1 = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88"
	// eventTimeout bounds every wait for a watch message; the suite's server polls every 100 ms.
	eventTimeout = 10 * time.Second
)

// uuid4 is a random (version 4) UUID for request_id.
func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// seenMessage is a watch message with the watcher's counters right after Next returned it.
type seenMessage struct {
	msg         *onrampv1.WatchServiceKeysResponse
	reconnects  int
	resumeToken string
}

// reader drains a KeyWatcher on a goroutine, so the test can bound every wait. The watcher is
// only touched by that goroutine; its counters travel with each message.
type reader struct {
	t    *testing.T
	w    *onramp.KeyWatcher
	ch   chan seenMessage
	errs chan error
	done chan struct{}
	seen []seenMessage
}

func newReader(t *testing.T, w *onramp.KeyWatcher) *reader {
	r := &reader{t: t, w: w, ch: make(chan seenMessage, 1024), errs: make(chan error, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			msg, err := w.Next()
			if err != nil {
				r.errs <- err
				return
			}
			r.ch <- seenMessage{msg, w.Reconnects(), w.ResumeToken()}
		}
	}()
	t.Cleanup(r.close)
	return r
}

func (r *reader) close() {
	r.w.Close()
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		r.t.Error("the watcher did not stop within 5 s of Close")
	}
}

// until reads messages until done holds for one, which it returns; fails after timeout.
func (r *reader) until(what string, timeout time.Duration, done func(*onrampv1.WatchServiceKeysResponse) bool) seenMessage {
	r.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case m := <-r.ch:
			r.seen = append(r.seen, m)
			if done(m.msg) {
				return m
			}
		case err := <-r.errs:
			r.t.Fatalf("waiting for %s: the watcher failed: %v", what, err)
		case <-deadline.C:
			r.t.Fatalf("no %s within %v; read so far: %v", what, timeout, r.seen)
		}
	}
}

// snapshot reads the (possibly chunked) snapshot a stream without a token opens with.
func (r *reader) snapshot() []*onrampv1.ServiceKey {
	r.t.Helper()
	var keys []*onrampv1.ServiceKey
	r.until("snapshot", eventTimeout, func(m *onrampv1.WatchServiceKeysResponse) bool {
		if m.GetSnapshot() == nil {
			r.t.Fatalf("first message is not a snapshot: %v", m)
		}
		keys = append(keys, m.GetSnapshot().GetServiceKeys()...)
		return m.GetSnapshot().GetLastChunk()
	})
	return keys
}

// events are the change events read so far (progress skipped).
func (r *reader) events() []*onrampv1.ServiceKeyEvent {
	var out []*onrampv1.ServiceKeyEvent
	for _, m := range r.seen {
		out = append(out, m.msg.GetChanges().GetEvents()...)
	}
	return out
}

// waitEvent returns the first event read so far that matches, else reads until one arrives.
func (r *reader) waitEvent(what string, timeout time.Duration, match func(*onrampv1.ServiceKeyEvent) bool) *onrampv1.ServiceKeyEvent {
	r.t.Helper()
	find := func() *onrampv1.ServiceKeyEvent {
		for _, e := range r.events() {
			if match(e) {
				return e
			}
		}
		return nil
	}
	if e := find(); e != nil {
		return e
	}
	r.until(what, timeout, func(m *onrampv1.WatchServiceKeysResponse) bool {
		return slices.ContainsFunc(m.GetChanges().GetEvents(), match)
	})
	return find()
}

func added(key string) func(*onrampv1.ServiceKeyEvent) bool {
	return func(e *onrampv1.ServiceKeyEvent) bool {
		return e.GetType() == onrampv1.ServiceKeyEventType_SERVICE_KEY_EVENT_TYPE_ADDED && e.GetServiceKey().GetKey() == key
	}
}

func TestGuideFlow(t *testing.T) {
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The customer browses: countries, metros, the provider's region.
	countries, err := c.Catalog.ListCountries(ctx, &onrampv1.ListCountriesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, country := range countries.GetCountries() {
		names = append(names, country.GetName())
	}
	if want := []string{"Australia", "Japan", "UK", "USA"}; !slices.Equal(names, want) {
		t.Fatalf("countries %v, want %v (ascending by name)", names, want)
	}
	metros, err := c.Catalog.ListMetros(ctx, &onrampv1.ListMetrosRequest{Country: "USA"})
	if err != nil {
		t.Fatal(err)
	}
	var metroNames []string
	for _, m := range metros.GetMetros() {
		metroNames = append(metroNames, m.GetName())
	}
	if !slices.Equal(metroNames, []string{"Los Angeles", "New York"}) {
		t.Fatalf("metros of USA: %v", metroNames)
	}
	region, err := c.Regions.GetRegion(ctx, &onrampv1.GetRegionRequest{Name: "us-west"})
	if err != nil {
		t.Fatal(err)
	}
	if got := region.GetRegion().GetDisplayName(); got != "US-West" {
		t.Fatalf("display_name %q", got)
	}

	// "US-West with diversity": one blue and one red on-ramp.
	selection, err := c.Catalog.SelectOnRamps(ctx, &onrampv1.SelectOnRampsRequest{
		Scope:         &onrampv1.SelectOnRampsRequest_Region{Region: "us-west"},
		RateLimitMbps: 1000,
		Diversity:     onrampv1.DiversityPreference_DIVERSITY_PREFERENCE_REQUIRED,
	})
	if err != nil {
		t.Fatal(err)
	}
	chosen := selection.GetChosen()
	if !selection.GetDiversitySatisfied() || len(chosen) != 2 ||
		chosen[0].GetDiversityZone() != onrampv1.DiversityZone_DIVERSITY_ZONE_BLUE ||
		chosen[1].GetDiversityZone() != onrampv1.DiversityZone_DIVERSITY_ZONE_RED ||
		chosen[0].GetLocation().GetName() != "Equinix LA1" || chosen[1].GetLocation().GetName() != "CoreSite LA1" {
		t.Fatalf("selection: %v", selection)
	}

	r := newReader(t, c.WatchServiceKeys(ctx, &onrampv1.WatchServiceKeysRequest{}, onramp.WatchConfig{}))
	before := r.snapshot()

	issued, err := c.ServiceKeys.IssueServiceKeys(ctx, &onrampv1.IssueServiceKeysRequest{
		Region:       "us-west",
		Diversity:    onrampv1.DiversityPreference_DIVERSITY_PREFERENCE_REQUIRED,
		MaxSpeedMbps: 1000,
		SingleUse:    true,
		PreApproved:  true,
		CustomerRef:  "acme",
		RequestId:    uuid4(),
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := issued.GetServiceKeys()
	if len(keys) != 2 {
		t.Fatalf("want two keys, got %v", keys)
	}
	// VLANs are allocated per Port: the two keys sit on different Ports, each with its own VLAN.
	type portVLAN struct {
		port string
		vlan int32
	}
	distinct := map[portVLAN]bool{}
	for i, k := range keys {
		if k.GetOnRamp().GetPortUid() != chosen[i].GetPortUid() || k.Vlan == nil || k.GetVlan() < 2 || k.GetVlan() > 4093 {
			t.Fatalf("key %d: %v (chosen %v)", i, k, chosen[i].GetPortUid())
		}
		if slices.ContainsFunc(before, func(b *onrampv1.ServiceKey) bool { return b.GetKey() == k.GetKey() }) {
			t.Fatalf("key %s was already in the snapshot", k.GetKey())
		}
		distinct[portVLAN{k.GetOnRamp().GetPortUid(), k.GetVlan()}] = true
	}
	if len(distinct) != 2 {
		t.Fatalf("keys share a Port and VLAN: %v", keys)
	}
	for _, k := range keys {
		e := r.waitEvent("ADDED "+k.GetKey(), eventTimeout, added(k.GetKey()))
		if e.GetServiceKey().GetCustomerRef() != "acme" {
			t.Fatalf("ADDED event: %v", e)
		}
	}

	// Acme buys a VXC with the blue key.
	key := keys[0].GetKey()
	lookup, err := c.VxcOrders.LookupServiceKey(ctx, &onrampv1.LookupServiceKeyRequest{Key: key, Account: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if !lookup.GetLookup().GetUsable() {
		t.Fatalf("key not usable: %v", lookup)
	}
	spec := &onrampv1.VxcOrderSpec{
		ServiceKey:    key,
		AEndPortUid:   acmePort,
		RateLimitMbps: 100,
		TermMonths:    12,
		Name:          "acme to quantumgpu",
	}
	validated, err := c.VxcOrders.ValidateVxcOrder(ctx, &onrampv1.ValidateVxcOrderRequest{Account: "acme", Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	if validated.GetPrice().GetCurrency() == "" {
		t.Fatalf("no price: %v", validated)
	}
	created, err := c.VxcOrders.CreateVxcOrder(ctx, &onrampv1.CreateVxcOrderRequest{Account: "acme", Spec: spec, RequestId: uuid4()})
	if err != nil {
		t.Fatal(err)
	}
	order := created.GetOrder()
	if order.GetVxcUid() == "" {
		t.Fatalf("order without vxc_uid: %v", order)
	}

	used := r.waitEvent("USED "+key, eventTimeout, func(e *onrampv1.ServiceKeyEvent) bool {
		return e.GetType() == onrampv1.ServiceKeyEventType_SERVICE_KEY_EVENT_TYPE_STATE_CHANGED && e.GetServiceKey().GetKey() == key
	})
	if used.GetServiceKey().GetState() != onrampv1.ServiceKeyState_SERVICE_KEY_STATE_USED ||
		used.GetPreviousState() != onrampv1.ServiceKeyState_SERVICE_KEY_STATE_ACTIVE ||
		used.GetServiceKey().GetVxcUid() != order.GetVxcUid() {
		t.Fatalf("want ACTIVE -> USED with vxc_uid %s, got %v", order.GetVxcUid(), used)
	}
}

func TestWatcherResumesAfterServerRestart(t *testing.T) {
	srv := newServer(t)
	c := dialAddress(t, srv.address)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	createKey := func() string {
		t.Helper()
		resp, err := c.ServiceKeys.CreateServiceKey(ctx, &onrampv1.CreateServiceKeyRequest{
			PortUid: quantumGPULA1, SingleUse: true, RequestId: uuid4(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetServiceKey().GetKey()
	}

	// The facade's watcher over the real stub, recording the token of every stream it opens.
	var mu sync.Mutex
	var tokens []string
	open := func(ctx context.Context, req *onrampv1.WatchServiceKeysRequest) (grpc.ServerStreamingClient[onrampv1.WatchServiceKeysResponse], error) {
		mu.Lock()
		tokens = append(tokens, req.GetResumeToken())
		mu.Unlock()
		return c.ServiceKeys.WatchServiceKeys(ctx, req)
	}
	cfg := onramp.WatchConfig{InitialBackoff: 100 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}
	r := newReader(t, onramp.NewKeyWatcher(ctx, open, &onrampv1.WatchServiceKeysRequest{}, cfg))

	r.snapshot()
	first := createKey()
	r.waitEvent("ADDED "+first, eventTimeout, added(first))

	if err := srv.restart(); err != nil { // SIGTERM, then a new process on the same port and data dir
		t.Fatal(err)
	}

	second := createKey()
	r.waitEvent("ADDED "+second+" after the restart", 20*time.Second, added(second))
	// Progress promises everything up to its revision was delivered: a duplicate would show by then.
	last := r.seen[len(r.seen)-1].msg.GetRevision()
	r.until("progress after the new key", eventTimeout, func(m *onrampv1.WatchServiceKeysResponse) bool {
		return m.GetProgress() != nil && m.GetRevision() >= last
	})

	var lastBefore string
	snapshots := 0
	var revisions []int64
	for _, m := range r.seen {
		if m.reconnects == 0 {
			lastBefore = m.resumeToken
		}
		if m.msg.GetSnapshot() != nil {
			snapshots++
		}
		if m.msg.GetChanges() != nil {
			revisions = append(revisions, m.msg.GetRevision())
		}
	}
	if got := r.seen[len(r.seen)-1].reconnects; got < 1 {
		t.Fatalf("reconnects = %d after a restart", got)
	}
	mu.Lock()
	opened := slices.Clone(tokens)
	mu.Unlock()
	if len(opened) < 2 || opened[0] != "" {
		t.Fatalf("streams opened with tokens %q", opened)
	}
	for _, tok := range opened[1:] {
		if tok != lastBefore {
			t.Fatalf("reconnected with %q, want the last token before the restart %q", tok, lastBefore)
		}
	}
	if snapshots != 1 {
		t.Fatalf("%d snapshots, want 1", snapshots)
	}
	if !slices.IsSorted(revisions) || len(slices.Compact(slices.Clone(revisions))) != len(revisions) {
		t.Fatalf("change revisions not strictly increasing: %v", revisions)
	}
	for _, key := range []string{first, second} {
		n := 0
		for _, e := range r.events() {
			if added(key)(e) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("ADDED %s seen %d times", key, n)
		}
	}
}

// TestNearestOnRampAndKeyRotation: Megaport's medians put a Seattle customer nearest CoreSite
// LA1 and a San Diego one nearest Equinix LA1; a rotated key gets a replacement with a fresh
// VLAN while the old one stays usable for its grace.
func TestNearestOnRampAndKeyRotation(t *testing.T) {
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	firstChoice := func(locationID int32) *onrampv1.OnRamp {
		selection, err := c.Catalog.SelectOnRamps(ctx, &onrampv1.SelectOnRampsRequest{
			Scope:         &onrampv1.SelectOnRampsRequest_Region{Region: "us-west"},
			RateLimitMbps: 500,
			Customer:      &onrampv1.SelectOnRampsRequest_CustomerLocationId{CustomerLocationId: locationID},
		})
		if err != nil {
			t.Fatal(err)
		}
		return selection.GetChosen()[0]
	}
	seattle, sanDiego := firstChoice(94), firstChoice(136)
	if seattle.GetLocation().GetName() != "CoreSite LA1" || sanDiego.GetLocation().GetName() != "Equinix LA1" {
		t.Fatalf("first choices: seattle %s, san diego %s", seattle.GetLocation().GetName(), sanDiego.GetLocation().GetName())
	}
	if rtt := seattle.GetExpectedRtt(); rtt.GetSource() != onrampv1.RttSource_RTT_SOURCE_MEGAPORT_MEDIAN || rtt.GetMilliseconds() != 24.6 {
		t.Fatalf("seattle's expected rtt: %v", rtt)
	}

	created, err := c.ServiceKeys.CreateServiceKey(ctx, &onrampv1.CreateServiceKeyRequest{
		PortUid: quantumGPULA1, SingleUse: true, MaxSpeedMbps: 1000, CustomerRef: "acme", RequestId: uuid4(),
	})
	if err != nil {
		t.Fatal(err)
	}
	key := created.GetServiceKey()
	rotate := &onrampv1.RotateServiceKeyRequest{
		Key: key.GetKey(), GracePeriod: durationpb.New(time.Hour), RequestId: uuid4(),
	}
	rotated, err := c.ServiceKeys.RotateServiceKey(ctx, rotate)
	if err != nil {
		t.Fatal(err)
	}
	newKey, oldKey := rotated.GetNewServiceKey(), rotated.GetOldServiceKey()
	if newKey.GetRotatedFrom() != key.GetKey() || oldKey.GetRotatedTo() != newKey.GetKey() ||
		newKey.GetVlan() == key.GetVlan() || oldKey.GetState() != onrampv1.ServiceKeyState_SERVICE_KEY_STATE_ACTIVE {
		t.Fatalf("rotation: %v", rotated)
	}
	replay, err := c.ServiceKeys.RotateServiceKey(ctx, rotate)
	if err != nil {
		t.Fatal(err)
	}
	if replay.GetNewServiceKey().GetKey() != newKey.GetKey() {
		t.Fatalf("replay minted %s, want %s", replay.GetNewServiceKey().GetKey(), newKey.GetKey())
	}
}
