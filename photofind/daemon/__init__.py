"""`photofind watch`: the process that owns the store, follows the folders and serves the CLI."""
