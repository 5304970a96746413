"""Report bundles: definitions, data, charts and the single-file HTML page (issue 13)."""
