"""Decodes onramp's error contract from a failed call.

onramp attaches a ``google.rpc.Status`` in the ``grpc-status-details-bin`` trailer carrying
``google.rpc.ErrorInfo`` (domain ``onramp``, reason from ``onramp.v1.ErrorReason`` without its
prefix), ``BadRequest`` field violations for invalid input and ``RetryInfo`` when throttled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

__all__ = ["ErrorDetails", "FieldViolation", "error_details"]


@dataclass(frozen=True)
class FieldViolation:
    """One invalid request field: its path (e.g. ``page_size``) and why."""

    field: str
    description: str
    reason: str = ""


@dataclass(frozen=True)
class ErrorDetails:
    """What onramp said about a failed call."""

    code: grpc.StatusCode
    message: str
    #: ErrorInfo reason, e.g. ``NOT_IMPLEMENTED``, ``VLAN_IN_USE``; empty when none was attached.
    reason: str = ""
    #: ErrorInfo domain, ``onramp`` for onramp's own errors.
    domain: str = ""
    #: ErrorInfo metadata, e.g. ``revision`` and ``resume_token`` when a watch is closed.
    metadata: Dict[str, str] = field(default_factory=dict)
    field_violations: List[FieldViolation] = field(default_factory=list)
    #: RetryInfo delay in seconds, when the server asked the caller to back off.
    retry_delay: Optional[float] = None

    def violation(self, field_path: str) -> Optional[FieldViolation]:
        """The violation for ``field_path``, if the request had one."""
        return next((v for v in self.field_violations if v.field == field_path), None)


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """Decodes ``error`` (raised by any stub call) into :class:`ErrorDetails`.

    Calls that failed without details (e.g. the connection dropped) give only code and message.
    """
    code: grpc.StatusCode = error.code()
    message: str = error.details() or ""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is None:
        return ErrorDetails(code=code, message=message)
    reason = domain = ""
    metadata: Dict[str, str] = {}
    violations: List[FieldViolation] = []
    retry_delay: Optional[float] = None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations.extend(
                FieldViolation(v.field, v.description, v.reason) for v in bad_request.field_violations
            )
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            retry_delay = retry.retry_delay.ToTimedelta().total_seconds()
    return ErrorDetails(
        code=code,
        message=message,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=violations,
        retry_delay=retry_delay,
    )
