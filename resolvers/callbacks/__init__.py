"""Department business systems reporting back (signed callbacks): who they are, how their
requests are verified, and how a callback moves an application through its workflow.

A package of its own beside resolvers/exchange (the pushes to the province) because it
depends on the applications domain, while applications depend on the exchange's pushes."""
