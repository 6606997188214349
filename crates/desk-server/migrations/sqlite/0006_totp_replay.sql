-- A TOTP code works once: sign-in remembers the last 30-second step each agent used.
ALTER TABLE agents ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
