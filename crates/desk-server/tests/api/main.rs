//! Integration tests: each starts the real service on port 0 with a fresh SQLite file and talks
//! to it over real HTTP.

mod helpers;

mod account_actions;
mod accounts;
mod at_rest;
mod audit;
mod authorization;
mod bad_input;
mod caller;
mod deployment;
mod figures;
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
