-- Clients: identity columns for lookups, the rest of the record as JSON.
CREATE TABLE clients (
    row_id      INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: tokens bind to it (AMB-19)
    client_id   TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    secret_hash BLOB    NOT NULL,                  -- SHA-256 of the secret
    record      TEXT    NOT NULL,                  -- JSON of the remaining fields
    created_at  INTEGER NOT NULL
);

-- Access and refresh tokens, keyed by the SHA-256 of their value.
CREATE TABLE tokens (
    hash          BLOB    PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    client_row_id INTEGER NOT NULL REFERENCES clients(row_id) ON DELETE CASCADE,
    family        BLOB,                            -- one grant's tokens, revoked together
    subject       TEXT    NOT NULL,
    username      TEXT,
    scopes        TEXT    NOT NULL,                -- space-separated
    audience      TEXT    NOT NULL,                -- space-separated resource ids
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX tokens_by_client ON tokens(client_row_id);
CREATE INDEX tokens_by_family ON tokens(family) WHERE family IS NOT NULL;
CREATE INDEX tokens_by_expiry ON tokens(expires_at);
