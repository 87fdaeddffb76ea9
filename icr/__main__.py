from icr.cli import main

main()
