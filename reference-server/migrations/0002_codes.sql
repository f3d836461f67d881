-- Authorization codes, keyed by the SHA-256 of their value. A code is used once: `used` flips
-- in the same transaction that reads it, so concurrent redemptions see it at most once.
CREATE TABLE codes (
    hash             BLOB    PRIMARY KEY,
    client_row_id    INTEGER NOT NULL REFERENCES clients(row_id) ON DELETE CASCADE,
    family           BLOB    NOT NULL,      -- the grant: tokens issued for this code share it
    redirect_uri     TEXT,                  -- the authorization request's value, verbatim; NULL if omitted
    subject          TEXT    NOT NULL,      -- the end user
    scopes           TEXT    NOT NULL,
    audience         TEXT    NOT NULL,
    challenge        TEXT,
    challenge_method TEXT,
    issued_at        INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used             INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX codes_by_client ON codes(client_row_id);
CREATE INDEX codes_by_expiry ON codes(expires_at);
