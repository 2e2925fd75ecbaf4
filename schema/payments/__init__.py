"""Fees and payments: the payment an application owes, WeChat Pay orders, exemptions."""
