-- Every `courtside serve` on this database is a node of one cluster (DESIGN.md §10).

-- A node is alive while its heartbeat is recent; one that stops beating is dead.
CREATE TABLE cluster_nodes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    http_url text NOT NULL,
    -- ws://host:port of its game listener: the base of the ws_urls it hands out.
    game_url text NOT NULL,
    pid integer NOT NULL,
    hostname text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the node leaves on purpose: it is gone at once, not after the timeout.
    stopped_at timestamptz,
    -- Set by the survivor that took over what the node left behind (once).
    reaped_at timestamptz,
    -- What placement compares, as of the last heartbeat.
    live_matches integer NOT NULL DEFAULT 0,
    connections integer NOT NULL DEFAULT 0
);

-- Secrets that belong to the cluster, not to one node: the token signing key.
CREATE TABLE cluster_secrets (
    name text PRIMARY KEY,
    value text NOT NULL
);

-- The user channel's events, numbered in commit order (an advisory lock serialises
-- their writers), kept a few minutes for Last-Event-ID replay on any node.
CREATE TABLE user_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_ids bigint[] NOT NULL,
    -- msgspec JSON of {name, data, kwargs}: what a NOTIFY payload too big to carry it names.
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_events_user_ids ON user_events USING gin (user_ids);
CREATE INDEX user_events_created_at ON user_events (created_at);

-- Open user connections per node: a user is online while any live node holds one.
-- No reference to users: a deleted account's last connection still closes here.
CREATE TABLE user_presence (
    user_id bigint NOT NULL,
    node_id bigint NOT NULL REFERENCES cluster_nodes (id) ON DELETE CASCADE,
    connections integer NOT NULL CHECK (connections > 0),
    PRIMARY KEY (user_id, node_id)
);
CREATE INDEX user_presence_node ON user_presence (node_id);

-- What each user is busy with, across the cluster (DESIGN.md §8): a queue, a match,
-- a lobby, a tournament, named as its actor is (`match:<code>`). One at a time: the
-- primary key is the cluster's "already engaged". The node is the claimer's, so a
-- survivor frees what a dead node held.
CREATE TABLE engagements (
    user_id bigint PRIMARY KEY,
    engagement text NOT NULL,
    node_id bigint NOT NULL REFERENCES cluster_nodes (id) ON DELETE CASCADE
);
CREATE INDEX engagements_engagement ON engagements (engagement);

-- The one owner of each named actor (chat:42, lobby:<code>, queue:duel, ...): the
-- node that runs it. A lease ends with its node: a survivor may take it over.
CREATE TABLE actor_leases (
    name text PRIMARY KEY,
    node_id bigint NOT NULL REFERENCES cluster_nodes (id) ON DELETE CASCADE,
    claimed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX actor_leases_node ON actor_leases (node_id);

-- Bus messages too big for a NOTIFY, named by the notification, read once.
CREATE TABLE bus_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Matches placed on a node and not yet recorded: what a survivor records as aborted
-- when that node dies (the spec, pickled as the nodes exchange it).
CREATE TABLE placed_matches (
    code text PRIMARY KEY,
    node_id bigint NOT NULL,
    spec bytea NOT NULL,
    report_to text,
    placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX placed_matches_node ON placed_matches (node_id);

-- Lobby ids, unique across the nodes that hold lobbies (a lobby itself lives in memory).
CREATE SEQUENCE lobby_ids;
