//! Integration tests: each starts the real service on port 0 with a fresh database and talks to
//! it over real HTTP. The database is a SQLite file, or with `DESK_TEST_DB=postgres` a fresh
//! database on a throw-away PostgreSQL server (`support/pg.rs`): the same tests, both backends.

mod helpers;
#[path = "../support/pg.rs"]
pub mod pg;

mod account_actions;
mod accounts;
mod at_rest;
mod audit;
mod audit_protection;
mod authorization;
mod bad_input;
mod caller;
mod deployment;
mod figures;
mod instances;
mod queue;
mod recovery;
mod reset;
mod risk;
mod second_factor;
mod sessions;
mod sign_in_limits;
mod smaller;
mod sso;
mod staff;
mod store;
mod version;
