"""Accounts: sign-in by WeChat, SMS and staff password, sessions, phone and real-name identity."""
