from billing_addin.cli.app import run

run()
