-- Dialogues, group chats, their members and messages (DESIGN.md §9).

CREATE TABLE chats (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('dialogue', 'group')),
    -- Groups only: a name and the admin who invites, removes, and deletes the group.
    name text,
    admin_id bigint REFERENCES users (id) ON DELETE SET NULL,
    -- Dialogues only: the pair, the lower user id first, so a pair has one dialogue.
    user_low bigint REFERENCES users (id) ON DELETE CASCADE,
    user_high bigint REFERENCES users (id) ON DELETE CASCADE,
    -- Messages are numbered 1, 2, ... within their chat; this is the last number
    -- given, and a member's unread count is it minus what they have seen.
    message_count bigint NOT NULL DEFAULT 0,
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'group' OR (name IS NULL AND user_low < user_high)),
    CHECK (kind = 'dialogue' OR (name IS NOT NULL AND user_low IS NULL AND user_high IS NULL))
);

CREATE UNIQUE INDEX chats_dialogue_pair ON chats (user_low, user_high) WHERE kind = 'dialogue';

CREATE TABLE chat_members (
    chat_id bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- False once the member hid a dialogue; the next message shows it again.
    view_chat boolean NOT NULL DEFAULT true,
    -- How many of the chat's messages the member has seen (the reference's
    -- seen_messages): messages numbered up to this one are read.
    seen_count bigint NOT NULL DEFAULT 0,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, user_id)
);

CREATE INDEX chat_members_user ON chat_members (user_id);

CREATE TABLE chat_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    sender_id bigint NOT NULL REFERENCES users (id),
    -- The sender's own id for the message: a retried send finds the stored one.
    client_id text NOT NULL,
    -- NULL once the sender deleted it: the tombstone keeps its place and number.
    content text,
    sent_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    UNIQUE (chat_id, seq),
    CONSTRAINT chat_messages_client_id UNIQUE (chat_id, sender_id, client_id),
    CHECK ((content IS NULL) = (deleted_at IS NOT NULL))
);
