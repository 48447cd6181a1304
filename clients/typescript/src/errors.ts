import { Code, ConnectError } from "@connectrpc/connect";

import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "./gen/google/rpc/error_details_pb.js";

/** One invalid request field and why. */
export interface FieldViolation {
  field: string;
  description: string;
  reason: string;
}

/**
 * What onramp said about a failed call: the status plus the google.rpc details from
 * `grpc-status-details-bin` (ErrorInfo with domain "onramp" and a reason from
 * onramp.v1.ErrorReason without its prefix, BadRequest, RetryInfo).
 */
export interface ErrorDetails {
  code: Code;
  message: string;
  /** ErrorInfo reason, e.g. "NOT_IMPLEMENTED" or "VLAN_IN_USE"; "" if none. */
  reason: string;
  /** ErrorInfo domain, "onramp" for onramp's own errors. */
  domain: string;
  /** ErrorInfo metadata, e.g. "revision" and "resume_token" when a watch is closed. */
  metadata: Record<string, string>;
  fieldViolations: FieldViolation[];
  /** RetryInfo delay in milliseconds, when the server asked the caller to back off. */
  retryDelayMs?: number;
}

/** Decodes any error thrown by a call (non-Connect errors become code Unknown). */
export function errorDetails(err: unknown): ErrorDetails {
  const error = ConnectError.from(err);
  const details: ErrorDetails = {
    code: error.code,
    message: error.rawMessage,
    reason: "",
    domain: "",
    metadata: {},
    fieldViolations: [],
  };
  const [info] = error.findDetails(ErrorInfoSchema);
  if (info) {
    details.reason = info.reason;
    details.domain = info.domain;
    details.metadata = { ...info.metadata };
  }
  for (const badRequest of error.findDetails(BadRequestSchema)) {
    for (const v of badRequest.fieldViolations) {
      details.fieldViolations.push({ field: v.field, description: v.description, reason: v.reason });
    }
  }
  const [retry] = error.findDetails(RetryInfoSchema);
  if (retry?.retryDelay) {
    details.retryDelayMs = Number(retry.retryDelay.seconds) * 1000 + retry.retryDelay.nanos / 1e6;
  }
  return details;
}

/** The violation for `field`, if the request had one. */
export function violation(details: ErrorDetails, field: string): FieldViolation | undefined {
  return details.fieldViolations.find((v) => v.field === field);
}
