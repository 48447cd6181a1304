// Package onramp is a thin client for onramp, the gRPC service that sells private connectivity
// over Megaport. It wraps the generated stubs in gen/onramp/v1 (package onrampv1; regenerate with
// `make generate`, never edit) with what every caller needs: one connection with the five service
// clients and health, a bearer token on each call, a default deadline, decoded error details, and
// a WatchServiceKeys helper that resumes from its last token after a disconnect.
//
//	c, err := onramp.Dial("127.0.0.1:50051", onramp.WithToken(token))
//	if err != nil { ... }
//	defer c.Close()
//	resp, err := c.Catalog.ListOnRamps(ctx, &onrampv1.ListOnRampsRequest{PageSize: -1})
//	if d := onramp.Details(err); d != nil && d.Reason == "INVALID_FIELD" { ... }
package onramp
