-- Forward-only. Times are BIGINT milliseconds since the Unix epoch (UTC): portable and comparable.
-- Secrets are stored only as hashes (argon2id for passwords, SHA-256 for random tokens).

CREATE TABLE agents (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('agent', 'lead', 'admin')),
    password_hash   TEXT    NOT NULL,
    totp_secret     TEXT    NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_ms      BIGINT  NOT NULL
);

CREATE TABLE agent_sessions (
    id           INTEGER PRIMARY KEY,
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    token_hash   TEXT    NOT NULL UNIQUE,
    created_ms   BIGINT  NOT NULL,
    expires_ms   BIGINT  NOT NULL,
    revoked_ms   BIGINT,
    client       TEXT    NOT NULL
);

CREATE TABLE sign_in_attempts (
    id          INTEGER PRIMARY KEY,
    email_norm  TEXT    NOT NULL,
    client      TEXT    NOT NULL,
    success     INTEGER NOT NULL,
    at_ms       BIGINT  NOT NULL
);
CREATE INDEX sign_in_attempts_email ON sign_in_attempts (email_norm, at_ms);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client, at_ms);

CREATE TABLE accounts (
    id                    INTEGER PRIMARY KEY,
    username              TEXT    NOT NULL,
    username_lc           TEXT    NOT NULL UNIQUE,
    display_name          TEXT    NOT NULL,
    display_name_lc       TEXT    NOT NULL,
    status                TEXT    NOT NULL CHECK (status IN ('active', 'locked', 'suspended')),
    country               TEXT    NOT NULL,
    phone                 TEXT,
    password_hash         TEXT,
    security_question     TEXT,
    security_answer_hash  TEXT,
    created_ms            BIGINT  NOT NULL,
    last_sign_in_ms       BIGINT
);
CREATE INDEX accounts_display_name ON accounts (display_name_lc, id);

CREATE TABLE account_emails (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    email        TEXT    NOT NULL,
    email_norm   TEXT    NOT NULL,
    is_primary   INTEGER NOT NULL,
    verified     INTEGER NOT NULL,
    bounced      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX account_emails_norm ON account_emails (email_norm);
CREATE INDEX account_emails_account ON account_emails (account_id);

CREATE TABLE two_factor_methods (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('authenticator_app', 'sms', 'backup_codes')),
    last_used_ms  BIGINT
);
CREATE INDEX two_factor_methods_account ON two_factor_methods (account_id);

CREATE TABLE agent_actions (
    id          INTEGER PRIMARY KEY,
    agent_id    INTEGER NOT NULL REFERENCES agents (id),
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    kind        TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    ticket      TEXT    NOT NULL,
    note        TEXT,
    created_ms  BIGINT  NOT NULL
);
CREATE INDEX agent_actions_account ON agent_actions (account_id, kind, created_ms);

CREATE TABLE recovery_tokens (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    kind           TEXT    NOT NULL,
    token_hash     TEXT    NOT NULL UNIQUE,
    action_id      INTEGER REFERENCES agent_actions (id),
    created_ms     BIGINT  NOT NULL,
    expires_ms     BIGINT  NOT NULL,
    used_ms        BIGINT,
    superseded_ms  BIGINT
);
CREATE INDEX recovery_tokens_account ON recovery_tokens (account_id, kind);

-- The outbox: written in the same transaction as the action; the sender moves `status` on.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER REFERENCES accounts (id),
    action_id   INTEGER REFERENCES agent_actions (id),
    kind        TEXT    NOT NULL,
    to_addr     TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'bounced', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_ms  BIGINT  NOT NULL,
    updated_ms  BIGINT  NOT NULL
);
CREATE INDEX outbox_status ON outbox (status, id);
CREATE INDEX outbox_account ON outbox (account_id, id);

CREATE TABLE idempotency_keys (
    agent_id      INTEGER NOT NULL REFERENCES agents (id),
    idem_key      TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,
    status_code   INTEGER NOT NULL,
    response      TEXT    NOT NULL,
    created_ms    BIGINT  NOT NULL,
    PRIMARY KEY (agent_id, idem_key)
);

-- Append-only and hash-chained: hash = SHA-256(prev_hash || canonical JSON of the entry).
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at_ms        BIGINT  NOT NULL,
    actor_id     INTEGER,
    actor_email  TEXT,
    actor_role   TEXT,
    action       TEXT    NOT NULL,
    target_type  TEXT,
    target_id    TEXT,
    reason       TEXT,
    ticket       TEXT,
    outcome      TEXT    NOT NULL,
    client       TEXT    NOT NULL,
    detail       TEXT    NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
