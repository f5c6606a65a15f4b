-- The social graph: friend requests, friendships and blocks (DESIGN.md §5).

CREATE TABLE friend_requests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    receiver_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sent_at timestamptz NOT NULL DEFAULT now(),
    CHECK (sender_id <> receiver_id)
);

-- One pending request per pair, whichever way it goes: two people asking each
-- other at the same moment cannot both leave a request behind.
CREATE UNIQUE INDEX friend_requests_pair
    ON friend_requests (least(sender_id, receiver_id), greatest(sender_id, receiver_id));
CREATE INDEX friend_requests_sender ON friend_requests (sender_id, id);
CREATE INDEX friend_requests_receiver ON friend_requests (receiver_id, id);

-- A friendship is stored once, the lower user id first, so a pair can never
-- be friends twice.
CREATE TABLE friendships (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_low bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_high bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    since timestamptz NOT NULL DEFAULT now(),
    CHECK (user_low < user_high),
    UNIQUE (user_low, user_high)
);

CREATE INDEX friendships_high ON friendships (user_high);

CREATE TABLE blocks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    blocker_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_at timestamptz NOT NULL DEFAULT now(),
    CHECK (blocker_id <> blocked_id),
    UNIQUE (blocker_id, blocked_id)
);

CREATE INDEX blocks_blocked ON blocks (blocked_id);
