-- A few words players write about themselves, shown on their profile (issue 18).
-- The server trims it and refuses NUL before it gets here; the check is the last word.
ALTER TABLE users ADD COLUMN bio text NOT NULL DEFAULT ''
    CHECK (char_length(bio) <= 280);
