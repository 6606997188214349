-- PostgreSQL baseline of migrations/sqlite/0008_recovery_factors.sql.
ALTER TABLE security_requests ADD COLUMN touches_two_factor BIGINT NOT NULL DEFAULT 0;

ALTER TABLE account_emails ADD COLUMN verify_token_hash TEXT;
ALTER TABLE account_emails ADD COLUMN verify_expires_ms BIGINT;
CREATE INDEX account_emails_verify ON account_emails (verify_token_hash);
