"""``python -m tests.fakes`` runs the fake Customer.io server (same options as
``python -m tests.fakes.customerio_server``)."""

import sys

from tests.fakes.customerio_server import main

sys.exit(main())
