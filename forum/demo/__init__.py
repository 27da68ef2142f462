"""The demo: articles, a discussion group, people in every role and a lively discussion."""
