-- Accounts and their refresh-token families (DESIGN.md §4).

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    nickname text NOT NULL,
    email text,
    -- argon2id; NULL for guests, who have no password.
    password_hash text,
    is_guest boolean NOT NULL DEFAULT false,
    accept_friend_request boolean NOT NULL DEFAULT true,
    accept_chat_from text NOT NULL DEFAULT 'everyone'
        CHECK (accept_chat_from IN ('none', 'friends_only', 'everyone')),
    trophies integer NOT NULL DEFAULT 1000 CHECK (trophies >= 0),
    -- Name stem of the re-encoded avatar files; NULL shows the default avatar.
    avatar text,
    -- Bumped when every session must end (password change, deletion): access
    -- tokens carry the version they were issued under.
    token_version integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_online timestamptz,
    -- Deleted accounts stay as anonymised rows so others' history keeps its shape.
    deleted_at timestamptz
);

CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE refresh_tokens (
    jti uuid PRIMARY KEY,
    family uuid NOT NULL,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    -- Set when the token was exchanged for a new one; presenting it again
    -- afterwards means it was stolen, and the whole family is revoked.
    retired_at timestamptz,
    revoked_at timestamptz
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
