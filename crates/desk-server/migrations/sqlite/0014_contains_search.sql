-- "Contains" search: agents get "lopez" or "lopez.work" over the phone, a part of a name, a
-- username or an address's local part. One FTS5 table with the trigram tokenizer, a row per
-- account (rowid = the account's id, so matches come in id order and a page stops early), kept
-- up to date by triggers on both tables it reads. Forward-only.
CREATE VIRTUAL TABLE account_text USING fts5 (username, display_name, locals, tokenize = 'trigram');

CREATE TRIGGER account_text_account_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO account_text (rowid, username, display_name, locals)
    VALUES (NEW.id, NEW.username_lc, NEW.display_name_lc, '');
END;

CREATE TRIGGER account_text_account_update AFTER UPDATE OF username_lc, display_name_lc ON accounts BEGIN
    UPDATE account_text SET username = NEW.username_lc, display_name = NEW.display_name_lc WHERE rowid = NEW.id;
END;

-- The local parts of every address of the account, separated by spaces.
CREATE TRIGGER account_text_email_insert AFTER INSERT ON account_emails BEGIN
    UPDATE account_text SET locals = (
        SELECT group_concat(substr(e.email_norm, 1, instr(e.email_norm, '@') - 1), ' ')
        FROM account_emails e WHERE e.account_id = NEW.account_id
    ) WHERE rowid = NEW.account_id;
END;

CREATE TRIGGER account_text_email_update AFTER UPDATE OF email_norm, account_id ON account_emails BEGIN
    UPDATE account_text SET locals = COALESCE((
        SELECT group_concat(substr(e.email_norm, 1, instr(e.email_norm, '@') - 1), ' ')
        FROM account_emails e WHERE e.account_id = NEW.account_id
    ), '') WHERE rowid = NEW.account_id;
END;

CREATE TRIGGER account_text_email_delete AFTER DELETE ON account_emails BEGIN
    UPDATE account_text SET locals = COALESCE((
        SELECT group_concat(substr(e.email_norm, 1, instr(e.email_norm, '@') - 1), ' ')
        FROM account_emails e WHERE e.account_id = OLD.account_id
    ), '') WHERE rowid = OLD.account_id;
END;

INSERT INTO account_text (rowid, username, display_name, locals)
SELECT a.id, a.username_lc, a.display_name_lc, COALESCE((
    SELECT group_concat(substr(e.email_norm, 1, instr(e.email_norm, '@') - 1), ' ')
    FROM account_emails e WHERE e.account_id = a.id
), '')
FROM accounts a;
