package onramp

import (
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDetails is what onramp said about a failed call: the status plus the google.rpc details
// it attaches (ErrorInfo with domain "onramp" and a reason from onramp.v1.ErrorReason without
// its prefix, BadRequest field violations, RetryInfo).
type ErrorDetails struct {
	Code    codes.Code
	Message string
	// Reason is ErrorInfo.reason, e.g. "NOT_IMPLEMENTED" or "VLAN_IN_USE"; empty if none.
	Reason string
	// Domain is ErrorInfo.domain, "onramp" for onramp's own errors.
	Domain string
	// Metadata is ErrorInfo.metadata, e.g. "revision" and "resume_token" when a watch closes.
	Metadata        map[string]string
	FieldViolations []FieldViolation
	// RetryDelay is RetryInfo.retry_delay when the server asked the caller to back off.
	RetryDelay time.Duration
}

// FieldViolation is one invalid request field and why.
type FieldViolation struct {
	Field       string
	Description string
	Reason      string
}

// Details decodes err, as returned by any RPC; nil if err is nil or not a gRPC status.
func Details(err error) *ErrorDetails {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	d := &ErrorDetails{Code: st.Code(), Message: st.Message()}
	for _, detail := range st.Details() {
		switch v := detail.(type) {
		case *errdetails.ErrorInfo:
			d.Reason, d.Domain, d.Metadata = v.GetReason(), v.GetDomain(), v.GetMetadata()
		case *errdetails.BadRequest:
			for _, fv := range v.GetFieldViolations() {
				d.FieldViolations = append(d.FieldViolations, FieldViolation{
					Field: fv.GetField(), Description: fv.GetDescription(), Reason: fv.GetReason(),
				})
			}
		case *errdetails.RetryInfo:
			d.RetryDelay = v.GetRetryDelay().AsDuration()
		}
	}
	return d
}

// Violation returns the violation for field, or nil.
func (d *ErrorDetails) Violation(field string) *FieldViolation {
	if d == nil {
		return nil
	}
	for i := range d.FieldViolations {
		if d.FieldViolations[i].Field == field {
			return &d.FieldViolations[i]
		}
	}
	return nil
}
