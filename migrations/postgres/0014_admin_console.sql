-- The admin console (issue 24): searching users by the start of their address or name stays
-- one index range scan with a million users. Byte order ("C"), which the search uses, so a
-- prefix is a range whatever the database's collation; the id breaks ties for paging.
CREATE INDEX users_email_search ON users ((email_normalized COLLATE "C"), id);
CREATE INDEX users_name_search ON users ((lower(name) COLLATE "C"), id);
