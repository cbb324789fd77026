"""What is kept between runs: parsed headers, the snapshot, the per-message ledger."""
