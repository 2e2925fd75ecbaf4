"""python -m mock_wechat: serve the mock WeChat server on 127.0.0.1."""

from __future__ import annotations

import argparse
import os

import uvicorn

from mock_wechat.server import DEFAULT_PUSH_TOKEN, DEFAULT_REALNAME_SECRET, create_mock_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Mock api.weixin.qq.com for development")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WECHAT_MOCK_PORT", "8001")))
    parser.add_argument(
        "--app-id", default=os.environ.get("RONGBAN_WECHAT_APP_ID", "wxrongbandemo0001")
    )
    parser.add_argument(
        "--app-secret",
        default=os.environ.get("RONGBAN_WECHAT_APP_SECRET", "rongban-demo-app-secret"),
    )
    parser.add_argument(
        "--sms-secret", default=os.environ.get("RONGBAN_SMS_SECRET", "rongban-dev-sms-relay-secret")
    )
    parser.add_argument(
        "--push-url", default=None, help="the backend's message-push URL (verdicts go there)"
    )
    parser.add_argument(
        "--push-delay",
        type=float,
        default=None,
        help="push each media check's verdict after this many seconds (else on request)",
    )
    args = parser.parse_args()
    app = create_mock_app(
        app_id=args.app_id,
        app_secret=args.app_secret,
        sms_secret=args.sms_secret,
        realname_secret=os.environ.get("RONGBAN_IDENTITY_RELAY_SECRET", DEFAULT_REALNAME_SECRET),
        push_url=args.push_url,
        # Through the environment, never the command line (where ps shows it).
        push_token=os.environ.get("RONGBAN_WECHAT_PUSH_TOKEN", DEFAULT_PUSH_TOKEN),
        push_delay=args.push_delay,
    )
    # Loopback only: the mock answers anyone who asks, which is fine on 127.0.0.1 alone.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
