-- "Contains" search: agents get "lopez" or "lopez.work" over the phone, a part of a name, a
-- username or an address's local part. Trigram indexes (pg_trgm, a trusted extension the
-- database's owner may create) serve `LIKE '%…%'` on each. Forward-only; PostgreSQL twin of
-- migrations/sqlite/0014_contains_search.sql (an FTS5 trigram table there).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX accounts_username_trgm ON accounts USING gin (username_lc gin_trgm_ops);
CREATE INDEX accounts_display_name_trgm ON accounts USING gin (display_name_lc gin_trgm_ops);
CREATE INDEX account_emails_local_trgm ON account_emails USING gin ((split_part(email_norm, '@', 1)) gin_trgm_ops);
