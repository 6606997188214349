-- PostgreSQL baseline of migrations/sqlite/0006_totp_replay.sql.
ALTER TABLE agents ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
