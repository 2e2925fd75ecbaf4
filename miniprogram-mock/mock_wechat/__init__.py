"""The mock WeChat server and a scripted mini-program client, for development and tests."""

from mock_wechat.server import create_mock_app

__all__ = ["create_mock_app"]
