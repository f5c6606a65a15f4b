-- Finished matches, per-mode stats, trophy history and replays (DESIGN.md §7, §8).

CREATE TABLE matches (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE,
    mode text NOT NULL CHECK (mode IN ('duel', 'ranked', 'clash', 'custom_game', 'tournament')),
    team_size smallint NOT NULL CHECK (team_size IN (1, 3)),
    score_to_win smallint NOT NULL,
    score_a smallint NOT NULL,
    score_b smallint NOT NULL,
    -- NULL when the match was aborted (no winner).
    winning_team char(1) CHECK (winning_team IN ('a', 'b')),
    reason text NOT NULL CHECK (reason IN ('score', 'forfeit', 'disconnect', 'timeout', 'aborted')),
    started_at timestamptz,
    ended_at timestamptz NOT NULL DEFAULT now(),
    duration_seconds double precision NOT NULL DEFAULT 0
);

CREATE TABLE match_players (
    match_id bigint NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id),
    team char(1) NOT NULL CHECK (team IN ('a', 'b')),
    -- Paddle slot within the team, top to bottom.
    slot smallint NOT NULL,
    goals smallint NOT NULL DEFAULT 0,
    own_goals smallint NOT NULL DEFAULT 0,
    trophies_before integer,
    trophies_after integer,
    PRIMARY KEY (match_id, user_id)
);

CREATE INDEX match_players_user ON match_players (user_id, match_id DESC);

-- Running totals per user and mode ('global' sums every mode).
CREATE TABLE user_stats (
    user_id bigint NOT NULL REFERENCES users (id),
    mode text NOT NULL,
    games integer NOT NULL DEFAULT 0,
    wins integer NOT NULL DEFAULT 0,
    losses integer NOT NULL DEFAULT 0,
    goals_scored integer NOT NULL DEFAULT 0,
    goals_conceded integer NOT NULL DEFAULT 0,
    own_goals integer NOT NULL DEFAULT 0,
    current_win_streak integer NOT NULL DEFAULT 0,
    best_win_streak integer NOT NULL DEFAULT 0,
    tournament_wins integer NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, mode)
);

CREATE TABLE trophy_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    match_id bigint NOT NULL REFERENCES matches (id),
    trophies_before integer NOT NULL,
    trophies_after integer NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX trophy_history_user ON trophy_history (user_id, id DESC);

-- The seed and every tick's inputs: enough to replay the match to the same score.
CREATE TABLE match_replays (
    match_id bigint PRIMARY KEY REFERENCES matches (id) ON DELETE CASCADE,
    seed bigint NOT NULL,
    -- MessagePack: [[tick, [input per paddle or null, ...]], ...], only ticks with input.
    inputs bytea NOT NULL
);
