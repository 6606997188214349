-- The account actions of a support call (verification emails) and caller verification.
-- Forward-only. PostgreSQL twin of migrations/sqlite/0011_account_actions.sql (BIGINT integers,
-- identity ids). Codes and link tokens are stored only as hashes.

-- A link mailed to an unverified address on the account; using it marks the address verified.
CREATE TABLE email_verifications (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts (id),
    email_id    BIGINT  NOT NULL REFERENCES account_emails (id),
    token_hash  TEXT    NOT NULL UNIQUE,
    action_id   BIGINT  REFERENCES agent_actions (id),
    created_ms  BIGINT  NOT NULL,
    expires_ms  BIGINT  NOT NULL,
    used_ms     BIGINT
);
CREATE INDEX email_verifications_account ON email_verifications (account_id);

-- An agent's challenge of a caller. `code_hash` for sent codes; an authenticator challenge
-- checks the app's current code instead. `attempts` only grows, by one conditional UPDATE.
CREATE TABLE caller_challenges (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   BIGINT  NOT NULL REFERENCES accounts (id),
    agent_id     BIGINT  NOT NULL REFERENCES agents (id),
    method       TEXT    NOT NULL CHECK (method IN ('authenticator_app', 'sms', 'email')),
    code_hash    TEXT,
    created_ms   BIGINT  NOT NULL,
    expires_ms   BIGINT  NOT NULL,
    attempts     BIGINT  NOT NULL DEFAULT 0,
    verified_ms  BIGINT
);
CREATE INDEX caller_challenges_account ON caller_challenges (account_id, verified_ms);

-- Each authenticator step read back verifies one challenge at most: the key refuses a replay.
CREATE TABLE caller_totp_steps (
    account_id  BIGINT  NOT NULL REFERENCES accounts (id),
    step        BIGINT  NOT NULL,
    PRIMARY KEY (account_id, step)
);

-- Challenges per account per hour, counted by one upsert that stops at the cap.
CREATE TABLE caller_challenge_counts (
    account_id    BIGINT  NOT NULL REFERENCES accounts (id),
    window_start  BIGINT  NOT NULL,
    n             BIGINT  NOT NULL,
    PRIMARY KEY (account_id, window_start)
);
