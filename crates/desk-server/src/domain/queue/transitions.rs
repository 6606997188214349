//! Every move of a request, checked against its state and the caller's role in this one place.
//! A move that is never open to the role is 403; one the role may make, but not now, is 409.

use desk_api::{AuditAction, ErrorCode, RequestState, Role};

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Confirm,
    Claim,
    Renew,
    Release,
    Note,
    Approve,
    Reject,
    NeedInfo,
    Escalate,
    SecondApprove,
    Reassign,
    UserReply,
    Cancel,
    Apply,
}

impl Act {
    pub fn as_str(self) -> &'static str {
        match self {
            Act::Confirm => "confirm",
            Act::Claim => "claim",
            Act::Renew => "renew",
            Act::Release => "release",
            Act::Note => "note",
            Act::Approve => "approve",
            Act::Reject => "reject",
            Act::NeedInfo => "need_info",
            Act::Escalate => "escalate",
            Act::SecondApprove => "second_approve",
            Act::Reassign => "reassign",
            Act::UserReply => "user_reply",
            Act::Cancel => "cancel",
            Act::Apply => "apply",
        }
    }

    /// The audit log's name for the move.
    pub fn audit_action(self) -> AuditAction {
        match self {
            Act::Confirm => AuditAction::RequestConfirm,
            Act::Claim => AuditAction::RequestClaim,
            Act::Renew => AuditAction::RequestRenew,
            Act::Release => AuditAction::RequestRelease,
            Act::Note => AuditAction::RequestNote,
            Act::Approve => AuditAction::RequestApprove,
            Act::Reject => AuditAction::RequestReject,
            Act::NeedInfo => AuditAction::RequestNeedInfo,
            Act::Escalate => AuditAction::RequestEscalate,
            Act::SecondApprove => AuditAction::RequestSecondApprove,
            Act::Reassign => AuditAction::RequestReassign,
            Act::UserReply => AuditAction::RequestUserReply,
            Act::Cancel => AuditAction::RequestCancel,
            Act::Apply => AuditAction::RequestApply,
        }
    }
}

/// Who asks, and how they stand to the request.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// None: the service itself or the end user through a link.
    pub role: Option<Role>,
    /// The caller holds a live lease on the request.
    pub holds: bool,
    /// Someone else holds a live lease.
    pub held_by_other: bool,
    /// The caller's lease ran out (and nobody else took it).
    pub own_lease_expired: bool,
    pub is_first_approver: bool,
    /// The request went through escalation (only leads decide it then).
    pub escalated: bool,
    pub escalated_by_caller: bool,
    pub needs_second_approval: bool,
}

fn is_lead(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Lead | Role::Admin))
}

fn conflict(code: ErrorCode, message: &str) -> ApiError {
    ApiError::Conflict { code, message: message.to_string() }
}

fn wrong_state(state: RequestState, act: Act) -> ApiError {
    conflict(
        ErrorCode::InvalidState,
        &format!("a request that is {} cannot be {}", state.as_str().replace('_', " "), act.as_str().replace('_', " ")),
    )
}

/// The state a move leads to, or why it is refused.
pub fn check(state: RequestState, act: Act, ctx: Ctx) -> Result<RequestState, ApiError> {
    use RequestState as S;
    let staff = ctx.role.is_some();
    // Moves only the service or the end user make.
    let system_only = matches!(act, Act::Confirm | Act::UserReply | Act::Cancel | Act::Apply);
    if system_only && staff {
        return Err(ApiError::Forbidden);
    }
    if !system_only && !staff {
        return Err(ApiError::Forbidden);
    }
    // Moves only leads make.
    if matches!(act, Act::SecondApprove | Act::Reassign) && !is_lead(ctx.role) {
        return Err(ApiError::Forbidden);
    }
    let holder_needed = |next: S| -> Result<S, ApiError> {
        if ctx.held_by_other {
            Err(conflict(ErrorCode::ClaimedByOther, "another agent holds this request"))
        } else if ctx.own_lease_expired {
            Err(conflict(ErrorCode::LeaseExpired, "your hold on this request ran out; claim it again"))
        } else if !ctx.holds {
            Err(conflict(ErrorCode::InvalidState, "claim the request first"))
        } else {
            Ok(next)
        }
    };
    match (state, act) {
        (S::Unconfirmed, Act::Confirm) => Ok(S::Open),
        (S::NeedsInfo, Act::UserReply) => Ok(S::Open),
        (S::Approved, Act::Cancel) => Ok(S::Cancelled),
        (S::Approved, Act::Apply) => Ok(S::Applied),

        (S::Open, Act::Claim) => Ok(S::Claimed),
        // Escalated requests are for leads.
        (S::Escalated, Act::Claim) if is_lead(ctx.role) => Ok(S::Claimed),
        (S::Escalated, Act::Claim) => Err(ApiError::Forbidden),
        (S::Claimed, Act::Claim) if ctx.held_by_other => {
            Err(conflict(ErrorCode::ClaimedByOther, "another agent holds this request"))
        }
        (S::Claimed, Act::Claim) if ctx.escalated && !is_lead(ctx.role) => Err(ApiError::Forbidden),
        (S::Claimed, Act::Claim) => Ok(S::Claimed),
        (S::Claimed, Act::Renew) => holder_needed(S::Claimed),
        (S::Claimed, Act::Release) => holder_needed(if ctx.escalated { S::Escalated } else { S::Open }),

        (s, Act::Note) if s != S::Unconfirmed => Ok(s),

        (S::Claimed, Act::Approve | Act::Reject | Act::NeedInfo | Act::Escalate) => {
            if ctx.escalated && !is_lead(ctx.role) {
                return Err(ApiError::Forbidden);
            }
            if ctx.escalated && act == Act::Escalate {
                return Err(wrong_state(state, act));
            }
            if ctx.escalated_by_caller && act == Act::Approve {
                return Err(conflict(ErrorCode::SameApprover, "you escalated this request; another lead decides it"));
            }
            holder_needed(match act {
                Act::Approve if ctx.needs_second_approval => S::AwaitingSecondApproval,
                Act::Approve => S::Approved,
                Act::Reject => S::Rejected,
                Act::NeedInfo => S::NeedsInfo,
                _ => S::Escalated,
            })
        }
        // A lead may turn down a request waiting for the second approval without claiming it.
        (S::AwaitingSecondApproval, Act::Reject) if is_lead(ctx.role) => Ok(S::Rejected),
        (S::AwaitingSecondApproval, Act::SecondApprove) => {
            if ctx.is_first_approver {
                Err(ApiError::Conflict {
                    code: ErrorCode::SameApprover,
                    message: "a second approval must come from a lead who did not give the first".into(),
                })
            } else {
                Ok(S::Approved)
            }
        }
        (S::Open | S::Claimed | S::Escalated, Act::Reassign) => Ok(S::Claimed),
        (s, a) => Err(wrong_state(s, a)),
    }
}

/// Approving these needs a lead's second approval: high risk, or a change that removes or moves
/// the second factor (a removal of 2FA, a new phone where 2FA is SMS).
pub fn needs_second_approval(
    risk: desk_api::RiskLevel,
    change: desk_api::ChangeKind,
    touches_two_factor: bool,
) -> bool {
    risk == desk_api::RiskLevel::High || change == desk_api::ChangeKind::RemoveTwoFactor || touches_two_factor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(role: Option<Role>) -> Ctx {
        Ctx {
            role,
            holds: true,
            held_by_other: false,
            own_lease_expired: false,
            is_first_approver: false,
            escalated: false,
            escalated_by_caller: false,
            needs_second_approval: false,
        }
    }

    #[test]
    fn same_lead_cannot_approve_twice() {
        let c = Ctx { is_first_approver: true, ..ctx(Some(Role::Lead)) };
        let e = check(RequestState::AwaitingSecondApproval, Act::SecondApprove, c).unwrap_err();
        assert_eq!(e.to_problem().code, ErrorCode::SameApprover);
    }

    #[test]
    fn agents_never_second_approve_and_users_never_claim() {
        assert!(matches!(
            check(RequestState::AwaitingSecondApproval, Act::SecondApprove, ctx(Some(Role::Agent))),
            Err(ApiError::Forbidden)
        ));
        assert!(matches!(check(RequestState::Open, Act::Claim, ctx(None)), Err(ApiError::Forbidden)));
    }
}
