-- Tournaments: participants with aliases, bans, and the bracket with every result,
-- enough for a restarted tournament actor to resume where it stood (DESIGN.md §7, §8).

CREATE TABLE tournaments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    size smallint NOT NULL CHECK (size IN (4, 8, 16)),
    private boolean NOT NULL DEFAULT false,
    created_by bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- open: taking participants; running: bracket drawn; finished: a winner;
    -- cancelled: everyone left before it started.
    status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'running', 'finished', 'cancelled')),
    started_at timestamptz,
    finished_at timestamptz,
    winner_id bigint REFERENCES users (id)
);

-- One open tournament per creator (DESIGN.md §12: a second one is a 409).
CREATE UNIQUE INDEX tournaments_one_open_per_creator ON tournaments (created_by)
    WHERE status IN ('open', 'running');

CREATE TABLE tournament_participants (
    tournament_id bigint NOT NULL REFERENCES tournaments (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id),
    alias text NOT NULL,
    -- 1 = the highest trophies when the bracket was drawn; NULL before.
    seed smallint,
    joined_at timestamptz NOT NULL DEFAULT now(),
    still_in boolean NOT NULL DEFAULT true,
    -- The round (1 = first) the participant lost in; NULL while in, or for the winner.
    eliminated_in smallint,
    PRIMARY KEY (tournament_id, user_id)
);

CREATE UNIQUE INDEX tournament_participants_alias ON tournament_participants (tournament_id, lower(alias));
CREATE INDEX tournament_participants_user ON tournament_participants (user_id, tournament_id DESC);

CREATE TABLE tournament_bans (
    tournament_id bigint NOT NULL REFERENCES tournaments (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (tournament_id, user_id)
);

-- The bracket: round 1 is the first; position orders a round's matches, and the
-- winner of (round, position) plays in (round + 1, position / 2).
CREATE TABLE tournament_matches (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tournament_id bigint NOT NULL REFERENCES tournaments (id) ON DELETE CASCADE,
    round smallint NOT NULL,
    position smallint NOT NULL,
    player_a bigint REFERENCES users (id),
    -- NULL with player_a set: a bye, won without playing.
    player_b bigint REFERENCES users (id),
    match_code text UNIQUE,
    winner_id bigint REFERENCES users (id),
    score_a smallint,
    score_b smallint,
    reason text,
    started_at timestamptz,
    finished_at timestamptz,
    UNIQUE (tournament_id, round, position)
);
