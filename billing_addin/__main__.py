import sys

from billing_addin.cli import main

sys.exit(main())
