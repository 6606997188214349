//! Integration tests: each starts the real service on port 0 with a fresh SQLite file and talks
//! to it over real HTTP.

mod helpers;

mod account_actions;
mod accounts;
mod audit;
mod authorization;
mod bad_input;
mod caller;
mod deployment;
mod queue;
mod recovery;
mod reset;
mod sessions;
mod sso;
mod staff;
