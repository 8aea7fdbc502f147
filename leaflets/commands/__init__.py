"""The command groups and shared pieces of the `leaflets` command (cli.py is the entry point)."""
