"""`python -m sandbox.frontdoor --config <file>`, as the supervisor starts it."""

from sandbox.frontdoor.server import main

main()
