from billing_addin.cli import run

run()
