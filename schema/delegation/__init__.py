"""帮办代办 in GraphQL: delegations, what agents submit, community helpers."""
