-- Self-contained access tokens (client_credentials) are not stored; what ends them early is.

-- Raised by New Secret with revoke_tokens: tokens of an earlier epoch are dead (AMB-18).
ALTER TABLE clients ADD COLUMN token_epoch INTEGER NOT NULL DEFAULT 0;

-- Revoked self-contained tokens (RFC 7009), by the SHA-256 of their value, until they expire.
CREATE TABLE revoked_tokens (
    hash       BLOB    PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens(expires_at);

-- The key that seals them: one row, made on first use.
CREATE TABLE token_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key BLOB    NOT NULL
);
