-- Evidence bytes live in the database from now on, so that every instance of the service can show
-- a file that any instance received: `evidence_dir` was one machine's folder. Files stored before
-- this migration stay in `evidence_dir` and are still read from there (their `stored_name`); rows
-- written after it have an empty `stored_name` and their bytes here. Forward-only; PostgreSQL twin
-- of migrations/sqlite/0013_evidence_content.sql.
CREATE TABLE evidence_content (
    file_id  BIGINT  PRIMARY KEY REFERENCES evidence_files (id),
    bytes    BYTEA   NOT NULL
);
