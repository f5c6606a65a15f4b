-- A friendship takes the id of the friend request it was accepted from: clients
-- of the reference keep the id they were sent and address the friendship with it.
-- Every friendship now comes from a request, so its own sequence goes; request
-- ids move past the friendships made before, which keep theirs.

ALTER TABLE friendships ALTER COLUMN id DROP IDENTITY;

SELECT setval(
    pg_get_serial_sequence('friend_requests', 'id'),
    greatest(nextval(pg_get_serial_sequence('friend_requests', 'id')),
             (SELECT coalesce(max(id), 0) + 1 FROM friendships)),
    false
);
