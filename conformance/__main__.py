import sys

from kms_conformance.cli import main

sys.exit(main())
