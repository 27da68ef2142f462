"""Discussion groups: members, organisers, and (later) sessions with readings."""
