"""Articles: imported or written here, each with its public discussion."""
