"""What `like`, `search`, `status` and `dupes` do once their arguments are parsed.

Free of Typer (and of anything heavy at import), so photofind.cli.lean can call them straight
from a plain click parse when a server answers. The Typer declarations in photofind/cli/*_cmd.py
call the same functions: one body per verb, whichever path parsed the command line."""
