from lim_cli.main import run

run()
