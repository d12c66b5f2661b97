"""The store: the path catalog (SQLite), the vectors (Chroma), and the lock that gives one process
ownership of both. Write order and ownership are the invariants these modules share."""
