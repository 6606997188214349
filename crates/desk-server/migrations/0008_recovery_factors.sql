-- A phone change on an account whose two-step verification is SMS moves the second factor:
-- such a request is handled as a removal of 2FA (second approval).
ALTER TABLE security_requests ADD COLUMN touches_two_factor INTEGER NOT NULL DEFAULT 0;

-- The address an applied email change adds stays unverified until the link mailed to it is used.
ALTER TABLE account_emails ADD COLUMN verify_token_hash TEXT;
ALTER TABLE account_emails ADD COLUMN verify_expires_ms BIGINT;
CREATE INDEX account_emails_verify ON account_emails (verify_token_hash);
