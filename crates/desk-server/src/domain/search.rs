//! Account search that costs one page at any size.
//!
//! Three branches, each read from its own index: the exact address or id (a few rows, on the
//! first page only), the username prefix (in username order) and the display-name prefix (in
//! (name, id) order). The prefix branches each read at most [`fetch_size`] rows past the
//! position the cursor carries for them, and are merged by the text that matched, so an agent who
//! types "ma" sees the accounts whose username or name comes first alphabetically, and page 50
//! costs what page 1 does.
//!
//! An account that matches both prefixes is shown once: by the branch whose key sorts first
//! (the username on a tie). The rule depends on the row alone, so it holds across pages too.

use super::{DomainError, DomainResult};
use crate::store::accounts::SummaryRow;

/// Where the next page starts in each prefix branch; `None`: that branch is used up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchCursor {
    /// The exact matches were shown (on the first page): every cursor the service gives out says
    /// so, even one whose prefix positions are still at their start.
    pub exact_shown: bool,
    /// Past this username.
    pub username: Option<String>,
    /// Past this (display name, id).
    pub display_name: Option<(String, i64)>,
    /// Past this account id in the "contains" stage, which starts once both prefix branches are
    /// used up (0 until then).
    pub contains_after: i64,
}

impl SearchCursor {
    /// The first page: both branches from their start.
    pub fn start() -> Self {
        Self {
            exact_shown: false,
            username: Some(String::new()),
            display_name: Some((String::new(), 0)),
            contains_after: 0,
        }
    }

    /// The "contains" stage, past this account id: the prefix branches are used up.
    pub fn contains(after_id: i64) -> Self {
        Self { exact_shown: true, username: None, display_name: None, contains_after: after_id }
    }

    /// `b<username hex>.<display name hex>.<id>`, with `-` for a branch that is used up; `c<id>`
    /// once both are and the "contains" stage goes on.
    pub fn encode(&self) -> String {
        if self.username.is_none() && self.display_name.is_none() {
            return format!("c{}", self.contains_after);
        }
        let u = self.username.as_ref().map_or("-".to_string(), hex::encode);
        let (d, id) = self.display_name.as_ref().map_or(("-".to_string(), 0), |(k, id)| (hex::encode(k), *id));
        format!("b{u}.{d}.{id}")
    }

    /// A cursor the service gave out; anything else is refused (never a 500 on a made-up one).
    pub fn decode(cursor: Option<&str>) -> DomainResult<Self> {
        let bad = || DomainError::invalid("cursor", "this cursor is not one the service gave out");
        let Some(c) = cursor.filter(|c| !c.is_empty()) else { return Ok(Self::start()) };
        if let Some(id) = c.strip_prefix('c') {
            return Ok(Self::contains(super::cursor_number(id).ok_or_else(bad)?));
        }
        let mut parts = c.strip_prefix('b').ok_or_else(bad)?.split('.');
        let (Some(u), Some(d), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let key = |h: &str| -> DomainResult<Option<String>> {
            if h == "-" {
                return Ok(None);
            }
            // Bytes that are not UTF-8 only place the scan somewhere: harmless, so taken.
            let bytes = hex::decode(h).map_err(|_| bad())?;
            Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
        };
        let id = super::cursor_number(id).ok_or_else(bad)?;
        Ok(Self { exact_shown: true, username: key(u)?, display_name: key(d)?.map(|k| (k, id)), contains_after: 0 })
    }
}

/// Rows read from each prefix branch for a page of `limit`: twice the page, because rows of one
/// branch that the other branch shows are passed over (at most a page's worth per page).
pub fn fetch_size(limit: i64) -> i64 {
    2 * limit + 1
}

/// The prefix range `[from, to)` of the lower-cased query.
pub struct Range<'a> {
    pub from: &'a str,
    pub to: &'a str,
}

impl Range<'_> {
    fn holds(&self, key: &str) -> bool {
        key >= self.from && key < self.to
    }
}

/// What the store answered for one page: `exact` (the address/id/phone branch, shown on the first
/// page only and passed over in the prefix branches on every page), `users` and `names` for a
/// read of `fetched` rows each.
pub struct Read {
    pub exact: Vec<SummaryRow>,
    pub first_page: bool,
    pub users: Vec<SummaryRow>,
    pub names: Vec<SummaryRow>,
    pub fetched: i64,
}

/// One page of at most `limit` from what was read at `at`, and the cursor of the next, if any.
pub fn merge(
    read: Read,
    range: &Range<'_>,
    at: &SearchCursor,
    limit: usize,
) -> (Vec<SummaryRow>, Option<SearchCursor>) {
    let Read { exact, first_page, users, names, fetched } = read;
    let exact_ids: Vec<i64> = exact.iter().map(|r| r.id).collect();
    let mut page: Vec<SummaryRow> = if first_page { exact.into_iter().take(limit).collect() } else { Vec::new() };
    // The display-name branch shows an account when its name sorts before its username (or its
    // username does not match); the username branch shows it otherwise.
    let shown_by_users = |r: &SummaryRow| {
        !(exact_ids.contains(&r.id) || (range.holds(&r.display_name_lc) && r.display_name_lc < r.username_lc))
    };
    let shown_by_names = |r: &SummaryRow| {
        !(exact_ids.contains(&r.id) || (range.holds(&r.username_lc) && r.username_lc <= r.display_name_lc))
    };
    let users_done = at.username.is_none() || (users.len() as i64) < fetched;
    let names_done = at.display_name.is_none() || (names.len() as i64) < fetched;
    let mut next = SearchCursor { exact_shown: true, ..at.clone() };
    let (mut u, mut d) = (users.into_iter().peekable(), names.into_iter().peekable());
    while page.len() < limit {
        // A branch whose read rows ran out but that has more unread cannot be passed: its next
        // row may sort first. The page ends there (a little short) and the cursor resumes it.
        if (u.peek().is_none() && !users_done) || (d.peek().is_none() && !names_done) {
            break;
        }
        let take_user = match (u.peek(), d.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => a.username_lc.as_str() <= b.display_name_lc.as_str(),
        };
        if take_user {
            let r = u.next().expect("peeked");
            next.username = Some(r.username_lc.clone());
            if shown_by_users(&r) {
                page.push(r);
            }
        } else {
            let r = d.next().expect("peeked");
            next.display_name = Some((r.display_name_lc.clone(), r.id));
            if shown_by_names(&r) {
                page.push(r);
            }
        }
    }
    let more_users = u.any(|r| shown_by_users(&r)) || !users_done;
    let more_names = d.any(|r| shown_by_names(&r)) || !names_done;
    if !more_users {
        next.username = None;
    }
    if !more_names {
        next.display_name = None;
    }
    let cursor = (more_users || more_names).then_some(next);
    (page, cursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_api::AccountStatus;

    fn read(
        exact: Vec<SummaryRow>,
        first_page: bool,
        users: Vec<SummaryRow>,
        names: Vec<SummaryRow>,
        fetched: i64,
    ) -> Read {
        Read { exact, first_page, users, names, fetched }
    }

    fn row(id: i64, username: &str, name: &str) -> SummaryRow {
        SummaryRow {
            id,
            username: username.into(),
            username_lc: username.to_lowercase(),
            display_name: name.into(),
            display_name_lc: name.to_lowercase(),
            status: AccountStatus::Active,
            country: "US".into(),
            primary_email: None,
        }
    }

    #[test]
    fn cursors_round_trip_and_made_up_ones_are_refused() {
        let c = SearchCursor {
            exact_shown: true,
            username: Some("maría.lopez".into()),
            display_name: Some(("maria lopez".into(), 42)),
            contains_after: 0,
        };
        assert_eq!(SearchCursor::decode(Some(&c.encode())).unwrap(), c);
        let done = SearchCursor { username: None, ..SearchCursor::contains(0) };
        let done = SearchCursor { display_name: Some((String::new(), 0)), ..done };
        assert_eq!(SearchCursor::decode(Some(&done.encode())).unwrap(), done);
        let contains = SearchCursor::contains(9_001);
        assert_eq!(contains.encode(), "c9001");
        assert_eq!(SearchCursor::decode(Some("c9001")).unwrap(), contains);
        assert_eq!(SearchCursor::decode(Some("")).unwrap(), SearchCursor::start());
        // Not UTF-8, but a place like any other: schema-valid, so taken.
        assert_eq!(SearchCursor::decode(Some("bff.-.0")).unwrap().username.as_deref(), Some("\u{FFFD}"));
        for bad in
            ["a12", "b", "b..", "bzz.-.0", "b-.-.x", "b6.-.0", "b-.-.0.1", "b-.-.0123456789012345678", "c", "c-1", "cx"]
        {
            assert!(SearchCursor::decode(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_account_matching_both_prefixes_is_shown_once_in_the_order_of_what_matched() {
        let range = Range { from: "ma", to: "ma\u{10FFFF}" };
        // 1: both match, the name sorts first ("maria lopez" < "maria.lopez"); 2: only the
        // username; 3: only the name; 4: both, the username first.
        let users = vec![row(4, "mab", "Max B"), row(1, "maria.lopez", "Maria Lopez"), row(2, "mark", "Zed")];
        let names = vec![row(1, "maria.lopez", "Maria Lopez"), row(3, "zz", "Matt"), row(4, "mab", "Max B")];
        let (page, cursor) = merge(read(vec![], true, users, names, 10), &range, &SearchCursor::start(), 10);
        let ids: Vec<i64> = page.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![4, 1, 2, 3]);
        assert_eq!(cursor, None);
    }

    #[test]
    fn a_page_never_runs_past_a_branch_with_unread_rows_and_the_cursor_resumes_each_branch() {
        let range = Range { from: "a", to: "a\u{10FFFF}" };
        // Each branch read its whole fetch of 2: each may have more.
        let users = vec![row(1, "aa", "Zz"), row(2, "ac", "Zz")];
        let names = vec![row(3, "zz1", "Ab"), row(4, "zz2", "Ad")];
        let (page, cursor) = merge(read(vec![], true, users, names, 2), &range, &SearchCursor::start(), 10);
        // After "ac" the username branch has nothing read left: "ad" must wait, as an unread
        // username may sort before it.
        assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1, 3, 2]);
        let cursor = cursor.expect("more to come");
        assert_eq!(cursor.username.as_deref(), Some("ac"));
        assert_eq!(cursor.display_name, Some(("ab".into(), 3)));
    }

    #[test]
    fn exact_matches_come_first_on_the_first_page_and_are_not_repeated() {
        let range = Range { from: "7", to: "7\u{10FFFF}" };
        let exact = vec![row(7, "seven", "Seven")];
        let users = vec![row(8, "7up", "Up"), row(7, "7seven", "Seven")];
        let (page, _) = merge(read(exact.clone(), true, users.clone(), vec![], 10), &range, &SearchCursor::start(), 10);
        assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), vec![7, 8]);
        let later = SearchCursor { username: Some("6".into()), ..SearchCursor::contains(0) };
        let (page, _) = merge(read(exact, false, users, vec![], 10), &range, &later, 10);
        assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), vec![8]);
    }

    #[test]
    fn a_page_filled_by_exact_matches_moves_on_to_the_prefixes() {
        let range = Range { from: "7", to: "7\u{10FFFF}" };
        let exact = vec![row(7, "seven", "Seven")];
        let users = vec![row(8, "7up", "Up")];
        let (page, cursor) =
            merge(read(exact.clone(), true, users.clone(), vec![], 3), &range, &SearchCursor::start(), 1);
        assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), vec![7]);
        let cursor = cursor.expect("the prefixes are still to come");
        // What the service reads for that cursor: no exact matches shown again.
        let at = SearchCursor::decode(Some(&cursor.encode())).unwrap();
        assert!(at.exact_shown);
        let (page, cursor) = merge(read(exact, !at.exact_shown, users, vec![], 3), &range, &at, 1);
        assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), vec![8]);
        assert_eq!(cursor, None);
    }
}
