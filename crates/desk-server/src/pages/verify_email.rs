//! The link of a verification email an agent sent: the user confirms the address with a button
//! (a mail scanner that follows links must not verify it by itself).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use maud::html;

use super::page;
use crate::domain::account_actions::{self, Verification};
use crate::http::ClientAddr;
use crate::AppState;

pub async fn form(Path(token): Path<String>) -> Response {
    page(
        StatusCode::OK,
        "Confirm your email address",
        html! {
            p { "Confirm that this address is yours, so that recovery emails can reach you here." }
            form method="post" action={ "/verify-email/" (token) } { button type="submit" { "Confirm this address" } }
        },
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
            html! { p { "Thank you. Recovery emails can now be sent to this address." } },
        ),
        Ok(Verification::Used) => {
            page(StatusCode::GONE, "This link was already used", html! { p { "The address is confirmed already." } })
        }
        Ok(Verification::Expired) => page(
            StatusCode::GONE,
            "This link has expired",
            html! { p { "Ask support to send a new verification email." } },
        ),
        Ok(Verification::Unknown) => page(
            StatusCode::GONE,
            "This link is not valid",
            html! { p { "Check that you copied the whole link from the email." } },
        ),
        Err(e) => {
            tracing::error!(error = %e, "could not verify an address");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong",
                html! { p { "Please try again in a minute." } },
            )
        }
    }
}
