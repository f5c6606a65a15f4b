-- A group chat per tournament (DESIGN.md §8): the tournament announces its start,
-- rounds, results and winner there as system messages, written by no user.

ALTER TABLE chat_messages
    ALTER COLUMN sender_id DROP NOT NULL,
    DROP CONSTRAINT chat_messages_kind_check,
    ADD CONSTRAINT chat_messages_kind_check CHECK (kind IN ('message', 'invite', 'system')),
    -- A system message has no author, and a user's message always has one.
    ADD CONSTRAINT chat_messages_system_sender CHECK ((kind = 'system') = (sender_id IS NULL));

-- (chat_id, sender_id, client_id) never matches a NULL sender: a system message's
-- client_id names its announcement (tournament:<code>:round:<n>), unique per chat,
-- so a restarted tournament posting it again finds the stored one.
CREATE UNIQUE INDEX chat_messages_system_client_id ON chat_messages (chat_id, client_id)
    WHERE sender_id IS NULL;

-- The tournament's chat; it outlives the tournament, readable by its members.
ALTER TABLE tournaments ADD COLUMN chat_id bigint REFERENCES chats (id) ON DELETE SET NULL;
