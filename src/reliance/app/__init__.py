"""One home: its documents, projects, settings and drafts; what every face calls."""
