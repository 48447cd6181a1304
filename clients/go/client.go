package onramp

import (
	"context"
	"crypto/tls"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	onrampv1 "github.com/onramp-dev/onramp/clients/go/gen/onramp/v1"
)

// Client is one connection to onramp with a typed client per service. The service clients are
// the generated ones, so every RPC takes its request message and grpc.CallOptions.
type Client struct {
	conn *grpc.ClientConn

	Catalog     onrampv1.CatalogServiceClient
	Regions     onrampv1.RegionServiceClient
	ServiceKeys onrampv1.ServiceKeyServiceClient
	VxcOrders   onrampv1.VxcOrderServiceClient
	Approvals   onrampv1.ApprovalServiceClient
	Webhooks    onrampv1.WebhookServiceClient
	Admin       onrampv1.AdminServiceClient
	Health      healthpb.HealthClient
}

type options struct {
	tlsConfig      *tls.Config
	token          string
	defaultTimeout time.Duration
	dialOptions    []grpc.DialOption
}

// Option configures Dial.
type Option func(*options)

// WithTLS connects with TLS; a nil config uses the system roots.
func WithTLS(config *tls.Config) Option {
	return func(o *options) {
		if config == nil {
			config = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		o.tlsConfig = config
	}
}

// WithToken sends "authorization: Bearer <token>" on every call (see also ContextWithToken).
func WithToken(token string) Option {
	return func(o *options) { o.token = token }
}

// WithDefaultTimeout gives unary calls whose context has no deadline this one. Streams are not
// affected: a watch is meant to run until cancelled.
func WithDefaultTimeout(d time.Duration) Option {
	return func(o *options) { o.defaultTimeout = d }
}

// WithDialOptions appends raw gRPC dial options.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, opts...) }
}

// Dial creates a client for address ("host:port"). The connection is made lazily: the first
// call (e.g. CheckHealth) reports an unreachable server.
func Dial(address string, opts ...Option) (*Client, error) {
	o := options{defaultTimeout: 30 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	dial := []grpc.DialOption{}
	if o.tlsConfig != nil {
		dial = append(dial, grpc.WithTransportCredentials(credentials.NewTLS(o.tlsConfig)))
	} else {
		dial = append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	// Always installed, so ContextWithToken works without WithToken too.
	dial = append(dial, grpc.WithPerRPCCredentials(bearer{token: o.token, secure: o.tlsConfig != nil}))
	if o.defaultTimeout > 0 {
		dial = append(dial, grpc.WithChainUnaryInterceptor(defaultDeadline(o.defaultTimeout)))
	}
	dial = append(dial, o.dialOptions...)
	conn, err := grpc.NewClient(address, dial...)
	if err != nil {
		return nil, err
	}
	return New(conn), nil
}

// New wraps an existing connection.
func New(conn *grpc.ClientConn) *Client {
	return &Client{
		conn:        conn,
		Catalog:     onrampv1.NewCatalogServiceClient(conn),
		Regions:     onrampv1.NewRegionServiceClient(conn),
		ServiceKeys: onrampv1.NewServiceKeyServiceClient(conn),
		VxcOrders:   onrampv1.NewVxcOrderServiceClient(conn),
		Approvals:   onrampv1.NewApprovalServiceClient(conn),
		Webhooks:    onrampv1.NewWebhookServiceClient(conn),
		Admin:       onrampv1.NewAdminServiceClient(conn),
		Health:      healthpb.NewHealthClient(conn),
	}
}

// Conn is the underlying connection.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// CheckHealth returns the serving status of service ("" = the whole server).
func (c *Client) CheckHealth(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, error) {
	resp, err := c.Health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN, err
	}
	return resp.GetStatus(), nil
}

type tokenKey struct{}

// ContextWithToken makes the calls made with ctx send this token instead of the one given to
// WithToken: for a service calling onramp on behalf of several callers over one connection.
func ContextWithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

// bearer is per-RPC credentials sending "authorization: Bearer <token>": the token from the
// call's context (ContextWithToken), else the connection's. secure says whether to demand TLS;
// plaintext is allowed so loopback and in-mesh deployments work.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	token := b.token
	if t, ok := ctx.Value(tokenKey{}).(string); ok {
		token = t
	}
	if token == "" {
		return nil, nil
	}
	return map[string]string{"authorization": "Bearer " + token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return b.secure }

func defaultDeadline(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
