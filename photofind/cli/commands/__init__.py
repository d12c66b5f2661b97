"""One module per command: its Typer declaration (`app`) and its body. photofind.cli.app loads
each only when its command runs."""
