"""Where mail comes from: the SOURCE spec, IMAP (read-only), local mbox/Maildir."""
