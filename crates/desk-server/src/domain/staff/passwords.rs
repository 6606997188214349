//! The staff password rule: at least 12 characters, and not a common password.
//!
//! `common-passwords.txt` is the list Django's `CommonPasswordValidator` ships (Django 5.2,
//! `django/contrib/auth/common-passwords.txt.gz`, BSD licence): 19,640 passwords from Royce
//! Williams' 2018 compilation of breach corpora. A password counts as common when it is on the
//! list, or is a listed password with only digits and symbols added ("iloveyou2024!" is).

use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("common-passwords.txt");
pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| LIST.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
}

pub fn is_common(password: &str) -> bool {
    let lower = password.trim().to_lowercase();
    let set = common();
    if set.contains(lower.as_str()) {
        return true;
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    core.chars().count() >= 4 && set.contains(core)
}

/// What is wrong with a new staff password, in words for the enrolment page.
pub fn problem(password: &str, email: &str, name: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Some(format!("Use at least {MIN_CHARS} characters."));
    }
    if n > MAX_CHARS {
        return Some(format!("Use at most {MAX_CHARS} characters."));
    }
    if is_common(password) {
        return Some("That password is on a list of common passwords; choose another.".into());
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.len() >= 4 && lower.contains(&local) {
        return Some("Do not use your email address in your password.".into());
    }
    if name.split_whitespace().any(|w| w.len() >= 4 && lower.contains(&w.to_lowercase())) {
        return Some("Do not use your name in your password.".into());
    }
    if password.chars().collect::<HashSet<_>>().len() < 5 {
        return Some("Use a less repetitive password.".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_loaded_whole() {
        assert!(common().len() > 19_000);
    }

    #[test]
    fn common_passwords_and_their_decorated_forms_are_refused() {
        assert!(problem("qwerty123456", "a@b.test", "A B").is_some());
        assert!(problem("Iloveyou2024!!", "a@b.test", "A B").is_some());
        assert!(problem("1q2w3e4r5t6y", "a@b.test", "A B").is_some());
        assert!(problem("short", "a@b.test", "A B").is_some());
        assert!(problem("maria.lopez is here", "maria.lopez@x.test", "Maria Lopez").is_some());
        assert!(problem("correct horse battery staple", "a@b.test", "A B").is_none());
    }
}
