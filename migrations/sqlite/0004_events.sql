-- Events for other services: an outbox written in the transaction of the change it describes,
-- and one delivery row per destination configured at that time (each retries on its own).

CREATE TABLE events (
    id          TEXT   PRIMARY KEY,
    type        TEXT   NOT NULL,
    occurred_at INTEGER NOT NULL,
    payload     TEXT   NOT NULL
);

-- `next_attempt_at` doubles as the lease: claiming a delivery moves it into the future.
CREATE TABLE event_deliveries (
    event_id        TEXT   NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    destination     TEXT   NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at    INTEGER,
    failed_at       INTEGER,
    last_error      TEXT,
    PRIMARY KEY (event_id, destination)
);
CREATE INDEX event_deliveries_due ON event_deliveries (delivered_at, failed_at, next_attempt_at);
