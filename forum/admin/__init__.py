"""The admin area: site settings, users, articles, groups and a dashboard, for admins only."""
