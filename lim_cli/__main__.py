from lim_cli.entry import run

run()
