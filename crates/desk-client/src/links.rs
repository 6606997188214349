//! `recovery-desk://` links from a help-desk ticket: parsed strictly, so a link can only open an
//! account or a request by id and carry a ticket reference; anything else is refused with a message.

use desk_api::{LinkEvent, LinkTarget, OpenLink};
use std::sync::Mutex;

pub const SCHEME: &str = "recovery-desk";

/// The longest ticket reference a link may carry (the reset dialog's own limit is the same order).
const MAX_TICKET: usize = 64;

pub fn parse(raw: &str) -> Result<OpenLink, String> {
    let bad = |why: &str| format!("This link cannot be opened: {why}.");
    let url = reqwest::Url::parse(raw.trim()).map_err(|_| bad("it is not a link"))?;
    if url.scheme() != SCHEME {
        return Err(bad(&format!("it is not a {SCHEME}:// link")));
    }
    if url.username() != "" || url.password().is_some() || url.port().is_some() || url.fragment().is_some() {
        return Err(bad("it has parts a Recovery Desk link never has"));
    }
    let target = match url.host_str() {
        Some("account") => LinkTarget::Account,
        Some("request") => LinkTarget::Request,
        _ => return Err(bad("it leads neither to an account nor to a request")),
    };
    let segments: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
    let id = match segments.as_slice() {
        [id] if !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()) => {
            id.parse::<i64>().map_err(|_| bad("its id is not a number"))?
        }
        _ => return Err(bad("its id is not a number")),
    };
    if id <= 0 {
        return Err(bad("its id is not a number"));
    }
    let mut ticket = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "ticket" if ticket.is_none() => {
                let t = v.trim();
                let fine = !t.is_empty()
                    && t.len() <= MAX_TICKET
                    && t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '#' | '/'));
                if !fine {
                    return Err(bad("its ticket reference is not one (letters, digits, - _ . # /)"));
                }
                ticket = Some(t.to_string());
            }
            _ => return Err(bad(&format!("it has an unknown or repeated part \"{k}\""))),
        }
    }
    Ok(OpenLink { target, id, ticket })
}

/// The link (or refusal) as the UI receives it.
pub fn event(raw: &str) -> LinkEvent {
    match parse(raw) {
        Ok(link) => LinkEvent { link: Some(link), error: None },
        Err(error) => LinkEvent { link: None, error: Some(error) },
    }
}

/// Links that arrived before the UI could listen (the console started from a link): kept until
/// the UI takes them.
#[derive(Default)]
pub struct LinkInbox(Mutex<Vec<LinkEvent>>);

impl LinkInbox {
    pub fn push(&self, e: LinkEvent) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(e);
    }

    pub fn take(&self) -> Vec<LinkEvent> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_link_opens_the_account_with_its_ticket() {
        let l = parse("recovery-desk://account/42?ticket=T-123").unwrap();
        assert_eq!(l, OpenLink { target: LinkTarget::Account, id: 42, ticket: Some("T-123".into()) });
        let l = parse("recovery-desk://request/7").unwrap();
        assert_eq!(l, OpenLink { target: LinkTarget::Request, id: 7, ticket: None });
        assert_eq!(parse("recovery-desk://account/42/").ok().map(|l| l.id), None, "a trailing segment is refused");
    }

    #[test]
    fn bad_links_are_refused_with_a_message_never_an_action() {
        for raw in [
            "https://account/42",
            "recovery-desk://account/abc",
            "recovery-desk://account/-1",
            "recovery-desk://account/0",
            "recovery-desk://account/99999999999999999999",
            "recovery-desk://account/42/password-reset",
            "recovery-desk://account/42?ticket=T-1&ticket=T-2",
            "recovery-desk://account/42?ticket=%3Cscript%3E",
            "recovery-desk://account/42?send=password-reset",
            "recovery-desk://audit/1",
            "recovery-desk://user:pw@account/42",
            "recovery-desk://account:8080/42",
            "recovery-desk://account/42#x",
            "not a link",
        ] {
            let e = event(raw);
            assert!(e.link.is_none(), "{raw} was accepted: {e:?}");
            assert!(e.error.as_deref().unwrap_or("").starts_with("This link cannot be opened"), "{raw}: {e:?}");
        }
    }

    #[test]
    fn a_ticket_longer_than_the_limit_is_refused() {
        let long = "T".repeat(MAX_TICKET + 1);
        assert!(parse(&format!("recovery-desk://account/1?ticket={long}")).is_err());
    }
}
