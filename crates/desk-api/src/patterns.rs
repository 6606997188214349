//! The regular expressions the API description gives for text fields, beside the Rust rules they
//! describe (each names its rule). They are written so that ECMA-262 and Python read them alike:
//! `$(?!\n)` ends the text (Python's `$` would also match before a final newline), and character
//! classes spell out Rust's sets: `WS` is `char::is_whitespace` (Unicode White_Space), `CC` is
//! `char::is_control` (the C0 and C1 controls).

// The two sets every class below is built on, spelled once. Raw text: the regex engine, not
// Rust, reads the escapes.
macro_rules! ws {
    () => {
        r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}
macro_rules! cc_ws {
    () => {
        r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// Text with something besides spaces in it (`text.trim()` is not empty).
pub const NOT_BLANK: &str = concat!("[^", ws!(), "]");

/// No spaces at either end (`text.trim() == text`), and not empty.
pub const TRIMMED: &str = concat!("^[^", ws!(), r"]([\s\S]*[^", ws!(), r"])?$(?!\n)");

/// `Ticket::parse`: letters, digits and `- _ # . / :` (length 1 to 64 is `maxLength`).
pub const TICKET: &str = r"^[A-Za-z0-9#./:_-]+$(?!\n)";

/// `EmailAddress::parse_exact`: up to 64 characters without `@`, spaces or controls before the
/// `@`; after it a domain with a dot that neither starts nor ends it (254 in all is `maxLength`).
pub const EMAIL: &str = concat!(
    "^[^@",
    cc_ws!(),
    "]{1,64}",
    "@[^@.",
    cc_ws!(),
    "][^@",
    cc_ws!(),
    "]*",
    r"\.[^@",
    cc_ws!(),
    "]*[^@.",
    cc_ws!(),
    r"]$(?!\n)"
);

/// The account search (`SearchQuery::parse`): no controls or U+FFFD, and not only spaces.
pub const SEARCH: &str =
    concat!(r"^[^\x00-\x1f\x7f-\x9f\ufffd]*[^", cc_ws!(), r"\ufffd][^\x00-\x1f\x7f-\x9f\ufffd]*$(?!\n)");

/// An `Idempotency-Key` (`idempotency::parse_key`): visible ASCII (length 1 to 128 is `maxLength`).
pub const IDEMPOTENCY_KEY: &str = r"^[!-~]+$(?!\n)";

/// A code of the audit log (an action or outcome name): letters, digits and `_`, up to 64.
pub const CODE: &str = r"^[A-Za-z0-9_]{1,64}$(?!\n)";
