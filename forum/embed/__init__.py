"""The discussion on the blog: an embeddable thread, its loader script and comment counts."""
