-- The admin console (issue 24): searching users by the start of their address or name stays
-- one index range scan with a million users (SQLite compares text bytewise already); the id
-- breaks ties for paging.
CREATE INDEX users_email_search ON users (email_normalized, id);
CREATE INDEX users_name_search ON users (lower(name), id);
