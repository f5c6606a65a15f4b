-- The world chat and the notification inbox (issue 18, points 7 and 8).

-- The world chat: one public chat of kind 'world', named, with no admin and no
-- pair, whose messages are stored and numbered as any chat's. It has no
-- chat_members rows: those put a chat in its members' chat lists with unread
-- counts, which nobody keeps for a room of every user. Who hears it live is
-- world_chat_members instead.
ALTER TABLE chats
    DROP CONSTRAINT chats_kind_check,
    ADD CONSTRAINT chats_kind_check CHECK (kind IN ('dialogue', 'group', 'world')),
    -- Was "kind = 'group' OR (a dialogue's shape)": a world chat is named as a group is.
    DROP CONSTRAINT chats_check,
    ADD CONSTRAINT chats_dialogue_shape
        CHECK (kind <> 'dialogue' OR (name IS NULL AND user_low < user_high));

CREATE UNIQUE INDEX chats_one_world ON chats (kind) WHERE kind = 'world';
INSERT INTO chats (kind, name) VALUES ('world', 'World');

-- Who joined the world chat: their live channels get its messages.
CREATE TABLE world_chat_members (
    user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL DEFAULT now()
);

-- The notification inbox: the live channel's notable events, kept per user so a
-- client that was offline sees what it missed. ``data`` is the event's payload as
-- the SSE stream carries it. Rows older than the retention are swept.
CREATE TABLE notifications (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz
);

CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_created ON notifications (created_at);
