"""Full-text search over articles and posts: SQLite FTS5 or PostgreSQL tsvector."""
