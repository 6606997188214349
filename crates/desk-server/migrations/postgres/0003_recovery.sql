-- PostgreSQL baseline of migrations/sqlite/0003_recovery.sql.

ALTER TABLE recovery_tokens ADD COLUMN requested_by TEXT NOT NULL DEFAULT 'agent';
ALTER TABLE recovery_tokens ADD COLUMN opened_ms BIGINT;
ALTER TABLE recovery_tokens ADD COLUMN two_factor_passed_ms BIGINT;
ALTER TABLE recovery_tokens ADD COLUMN failed_codes BIGINT NOT NULL DEFAULT 0;

ALTER TABLE outbox ADD COLUMN token_id BIGINT REFERENCES recovery_tokens (id);

ALTER TABLE two_factor_methods ADD COLUMN secret TEXT;

CREATE TABLE backup_codes (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts (id),
    code_hash   TEXT    NOT NULL,
    used_ms     BIGINT
);
CREATE INDEX backup_codes_account ON backup_codes (account_id);

CREATE TABLE sms_codes (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_id    BIGINT  NOT NULL REFERENCES recovery_tokens (id),
    code_hash   TEXT    NOT NULL,
    created_ms  BIGINT  NOT NULL,
    expires_ms  BIGINT  NOT NULL,
    used_ms     BIGINT
);
CREATE INDEX sms_codes_token ON sms_codes (token_id);

CREATE TABLE user_sessions (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts (id),
    created_ms  BIGINT  NOT NULL,
    revoked_ms  BIGINT
);
CREATE INDEX user_sessions_account ON user_sessions (account_id);

CREATE TABLE recovery_events (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   BIGINT  NOT NULL REFERENCES accounts (id),
    at_ms        BIGINT  NOT NULL,
    kind         TEXT    NOT NULL,
    summary      TEXT    NOT NULL,
    actor_email  TEXT,
    email_id     BIGINT  REFERENCES outbox (id),
    token_id     BIGINT  REFERENCES recovery_tokens (id)
);
CREATE INDEX recovery_events_account ON recovery_events (account_id, id);

CREATE TABLE public_attempts (
    id      BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope   TEXT    NOT NULL,
    key     TEXT    NOT NULL,
    at_ms   BIGINT  NOT NULL
);
CREATE INDEX public_attempts_key ON public_attempts (scope, key, at_ms);

ALTER TABLE account_emails ADD COLUMN email_canon TEXT NOT NULL DEFAULT '';
UPDATE account_emails SET email_canon = email_norm;
CREATE INDEX account_emails_canon ON account_emails (email_canon);

ALTER TABLE accounts ADD COLUMN phone_digits TEXT;
CREATE INDEX accounts_phone ON accounts (phone_digits);
CREATE INDEX accounts_name_country ON accounts (display_name_lc, country);

CREATE INDEX agent_actions_agent ON agent_actions (agent_id, created_ms);
