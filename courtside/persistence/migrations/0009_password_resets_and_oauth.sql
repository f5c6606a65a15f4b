-- Password reset by mail and OAuth 2.0 sign-in (docs/AUTH.md).

-- One row per reset link sent. Only a SHA-256 of the link's token is kept: a
-- leaked table opens no account.
CREATE TABLE password_resets (
    token_hash bytea PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    -- Set when the link was used, or when another link of the account was.
    used_at timestamptz
);

CREATE INDEX password_resets_user ON password_resets (user_id);

-- An account at a provider (its stable subject), and the Courtside account it
-- signs into. An account may link each provider once.
CREATE TABLE oauth_identities (
    provider text NOT NULL,
    subject text NOT NULL,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject),
    CONSTRAINT oauth_identities_one_per_provider UNIQUE (user_id, provider)
);
