"""The application on top: typer commands, one run, config, credentials, schedule."""
