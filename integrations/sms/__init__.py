"""Text messages to phones, sent through an HTTP SMS relay."""

from integrations.sms.relay import HttpSmsRelay, SmsError, SmsSender

__all__ = ["HttpSmsRelay", "SmsError", "SmsSender"]
