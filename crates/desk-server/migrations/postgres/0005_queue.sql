-- PostgreSQL baseline of migrations/sqlite/0005_queue.sql.

CREATE TABLE security_requests (
    id                 BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference          TEXT    NOT NULL UNIQUE,
    state              TEXT    NOT NULL,
    risk               TEXT    NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    risk_reasons       TEXT    NOT NULL,
    change_kind        TEXT    NOT NULL CHECK (change_kind IN ('email', 'phone', 'remove_two_factor', 'reset_security_question')),
    new_value          TEXT,
    identifier         TEXT    NOT NULL,
    account_id         BIGINT  REFERENCES accounts (id),
    contact_email      TEXT    NOT NULL,
    contact_code_hash  TEXT,
    contact_attempts   BIGINT  NOT NULL DEFAULT 0,
    full_name          TEXT    NOT NULL,
    country            TEXT    NOT NULL,
    former_address     TEXT,
    account_age_years  BIGINT,
    statement          TEXT    NOT NULL,
    facts              TEXT    NOT NULL,
    submitted_ms       BIGINT  NOT NULL,
    sla_due_ms         BIGINT  NOT NULL,
    assignee_id        BIGINT  REFERENCES agents (id),
    lease_expires_ms   BIGINT,
    escalated_by       BIGINT  REFERENCES agents (id),
    first_approver_id  BIGINT  REFERENCES agents (id),
    apply_at_ms        BIGINT,
    cancel_token_hash  TEXT,
    reply_token_hash   TEXT,
    claimed_ms         BIGINT,
    updated_ms         BIGINT  NOT NULL
);
CREATE INDEX security_requests_queue ON security_requests (state, sla_due_ms, id);
CREATE INDEX security_requests_account ON security_requests (account_id, submitted_ms);
CREATE INDEX security_requests_assignee ON security_requests (assignee_id, state);

CREATE TABLE request_notes (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  BIGINT  NOT NULL REFERENCES security_requests (id),
    author      TEXT    NOT NULL,
    at_ms       BIGINT  NOT NULL,
    text        TEXT    NOT NULL
);
CREATE INDEX request_notes_request ON request_notes (request_id, id);

CREATE TABLE request_steps (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  BIGINT  NOT NULL REFERENCES security_requests (id),
    at_ms       BIGINT  NOT NULL,
    actor       TEXT,
    action      TEXT    NOT NULL,
    from_state  TEXT    NOT NULL,
    to_state    TEXT    NOT NULL,
    note        TEXT
);
CREATE INDEX request_steps_request ON request_steps (request_id, id);

CREATE TABLE evidence_files (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id    BIGINT  NOT NULL REFERENCES security_requests (id),
    name          TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          BIGINT  NOT NULL,
    stored_name   TEXT    NOT NULL,
    sha256        TEXT    NOT NULL,
    created_ms    BIGINT  NOT NULL
);
CREATE INDEX evidence_files_request ON evidence_files (request_id);
