//! The link of a verification email an agent sent: the user confirms the address with a button
//! (a mail scanner that follows links must not verify it by itself).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{escape, page};
use crate::domain::account_actions::{self, Verification};
use crate::http::ClientAddr;
use crate::AppState;

pub async fn form(Path(token): Path<String>) -> Response {
    page(
        StatusCode::OK,
        "Confirm your email address",
        &format!(
            "<p>Confirm that this address is yours, so that recovery emails can reach you here.</p>\
             <form method=\"post\" action=\"/verify-email/{}\"><button type=\"submit\">Confirm this address</button></form>",
            escape(&token)
        ),
    )
}

pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientAddr(client): ClientAddr,
) -> Response {
    match account_actions::verify_email(&state.db, &token, state.clock.now_ms(), &client).await {
        Ok(Verification::Verified) => page(
            StatusCode::OK,
            "Address confirmed",
            "<p>Thank you. Recovery emails can now be sent to this address.</p>",
        ),
        Ok(Verification::Used) => {
            page(StatusCode::GONE, "This link was already used", "<p>The address is confirmed already.</p>")
        }
        Ok(Verification::Expired) => {
            page(StatusCode::GONE, "This link has expired", "<p>Ask support to send a new verification email.</p>")
        }
        Ok(Verification::Unknown) => page(
            StatusCode::GONE,
            "This link is not valid",
            "<p>Check that you copied the whole link from the email.</p>",
        ),
        Err(e) => {
            tracing::error!(error = %e, "could not verify an address");
            page(StatusCode::SERVICE_UNAVAILABLE, "Something went wrong", "<p>Please try again in a minute.</p>")
        }
    }
}
