"""python -m province_sandbox: serve the provincial sandbox on 127.0.0.1."""

from province_sandbox.server import main

main()
