"""Pieces the tests share: waiting (the one wait_until), cli (the CLI in the test's own process,
answering like a subprocess), processes (photofind subprocesses and servers, always stopped),
images (generated photos), terminals (tmux and ptys), raw_files (hand-written DNGs) and fakehub
(a local stand-in for the model hub)."""
