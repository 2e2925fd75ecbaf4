"""WeChat Pay API v3: what the payments domain asks of it (protocol) and the client behind it."""
