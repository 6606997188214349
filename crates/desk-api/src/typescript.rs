use ts_rs::TS;

use crate::*;

/// The TypeScript of every type the UI sees, in one file (`ui/src/lib/contract.ts`).
pub fn typescript() -> String {
    let decls = [
        ErrorCode::decl(),
        CommandError::decl(),
        Role::decl(),
        Agent::decl(),
        AuditAction::decl(),
        AgentLoad::decl(),
        Me::decl(),
        SessionStatus::decl(),
        SignInForm::decl(),
        AccountStatus::decl(),
        TwoFactorKind::decl(),
        EmailStatus::decl(),
        ReasonCode::decl(),
        Page::<()>::decl(),
        AccountSummary::decl(),
        MaskedEmail::decl(),
        TwoFactorMethod::decl(),
        LinkState::decl(),
        RecoveryEmail::decl(),
        DuplicateReason::decl(),
        DuplicateAccount::decl(),
        AddressCheckRequest::decl(),
        AddressCheckResult::decl(),
        RevealRequest::decl(),
        RevealedAddress::decl(),
        ActivityKind::decl(),
        ActivityEvent::decl(),
        CallerMethod::decl(),
        CallerChallengeRequest::decl(),
        CallerChallenge::decl(),
        CallerCodeRequest::decl(),
        CallerVerified::decl(),
        ActionDone::decl(),
        AccountDetail::decl(),
        ResetRequest::decl(),
        EmailRef::decl(),
        ActionAccepted::decl(),
        RequestState::decl(),
        ChangeKind::decl(),
        RiskLevel::decl(),
        ChecklistItem::decl(),
        Decision::decl(),
        QueueItem::decl(),
        StateCount::decl(),
        FactCheck::decl(),
        OnFile::decl(),
        EvidenceFile::decl(),
        RequestNote::decl(),
        RequestStep::decl(),
        RequestDetail::decl(),
        DecisionRequest::decl(),
        NoteRequest::decl(),
        ReassignRequest::decl(),
        QueueFilter::decl(),
        EvidenceContent::decl(),
        AuditEntry::decl(),
        AuditFilter::decl(),
        BrokenEntry::decl(),
        VerifyReport::decl(),
        Progress::decl(),
        ExportFormat::decl(),
        ExportResult::decl(),
        ActionCount::decl(),
        AgentFigures::decl(),
        AnomalyKind::decl(),
        Anomaly::decl(),
        Figures::decl(),
        ServiceVersion::decl(),
        About::decl(),
        UpdatesSetting::decl(),
        ManagedSetting::decl(),
        LinkTarget::decl(),
        OpenLink::decl(),
        LinkEvent::decl(),
        StaffStatus::decl(),
        EnrolmentState::decl(),
        PendingMfaReset::decl(),
        StaffMember::decl(),
        InviteRequest::decl(),
        InviteSent::decl(),
        StaffChange::decl(),
        RoleChange::decl(),
        SsoSettings::decl(),
        SsoSettingsChange::decl(),
        SsoAvailability::decl(),
        SsoSignInForm::decl(),
    ];
    let mut out = String::from(
        "// Generated from crates/desk-api by `make gen`. Do not edit: a test fails when this is stale.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.push_str("export const REASON_CODES: ReasonCode[] = [");
    let codes: Vec<String> = ReasonCode::ALL.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    out.push_str(&codes.join(", "));
    out.push_str("];\n\n");
    out.push_str("export const AUDIT_ACTIONS: AuditAction[] = [");
    let actions: Vec<String> = AuditAction::ALL.iter().map(|a| format!("\"{}\"", a.as_str())).collect();
    out.push_str(&actions.join(", "));
    out.push_str("];\n");
    out
}
