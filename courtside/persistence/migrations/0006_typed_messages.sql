-- Typed chat messages: an invitation to play is a message of its dialogue, with a
-- payload the client draws as accept/decline buttons (DESIGN.md §8, §9).

ALTER TABLE chat_messages
    ADD COLUMN kind text NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'invite')),
    -- For an invite: {"match_type", "status", "invitee_id", "lobby_code", "expires_at"};
    -- its status moves once from pending to accepted, declined, expired or cancelled.
    ADD COLUMN payload jsonb,
    ADD CHECK ((kind = 'message') = (payload IS NULL));

-- What the invitations actor rebuilds from when it restarts.
CREATE INDEX chat_messages_pending_invites ON chat_messages (id)
    WHERE kind = 'invite' AND payload ->> 'status' = 'pending';
