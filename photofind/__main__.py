from photofind.cli.app import main

main()
