"""`photofind web`: a local page to search, browse and sort photos, answered through the one
request layer (photofind.api) by whichever process owns the store.

Importing this package is light: Starlette and uvicorn are imported by `app` and `serve` only."""
