"""帮办代办: residents delegate chosen items to an agent who submits and follows them."""
