from photofind.cli.main import main

main()
