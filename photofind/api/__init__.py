"""The one request layer: each verb is a typed request (`requests`) and one handler (`handlers`).

The CLI's local path, the daemon's socket and any other front end build a request, and either
run it here or send its JSON to the process that owns the store."""
