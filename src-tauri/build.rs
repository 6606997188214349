/// The commands the UI may call. Each gets an `allow-*` permission generated, and
/// `capabilities/default.json` grants exactly these — nothing else is reachable from the webview.
const COMMANDS: &[&str] = &[
    "session_status",
    "sign_in",
    "sign_out",
    "search_accounts",
    "get_account",
    "send_password_reset",
    "send_answer_reset",
    "account_activity",
    "check_address",
    "reveal_address",
    "queue_counts",
    "queue_list",
    "queue_claim_next",
    "request_detail",
    "request_claim",
    "request_renew",
    "request_release",
    "request_note",
    "request_decide",
    "request_second_approval",
    "request_reassign",
    "request_evidence",
    "audit_query",
    "audit_verify",
    "audit_export",
    "audit_figures",
    "staff_list",
    "staff_invite",
    "staff_set_role",
    "staff_disable",
    "staff_enable",
    "staff_mfa_reset",
    "staff_approve_mfa_reset",
    "sso_settings",
    "set_sso_required",
    "unlock_account",
    "end_sessions",
    "send_verification_email",
    "caller_challenge",
    "caller_check",
    "sso_availability",
    "sign_in_sso",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
