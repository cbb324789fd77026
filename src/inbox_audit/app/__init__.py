"""The application: typer commands, one run, the console, init, config, credentials, schedule."""
