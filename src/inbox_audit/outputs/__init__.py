"""AuditReport → table, JSON, CSV, Markdown, the owner's email; and SMTP to send it."""
