"""TEST KEYS for the mock WeChat Pay server: published on purpose, worthless anywhere else.

The merchant pair plays a merchant's API certificate key (apiclient_key.pem); the platform pair
plays WeChat Pay's own key in 微信支付公钥 mode (WeChat signs its answers and notifications with
it, merchants verify with its public half, named by its PUB_KEY_ID). The PEM files sit in
testkeys/ beside this module, so that `rongban dev` can hand them to the app by path without
importing the fakes."""

from __future__ import annotations

from pathlib import Path

TEST_KEYS_DIR = Path(__file__).resolve().parent / "testkeys"

TEST_MCHID = "1900000109"
TEST_APIV3_KEY = "rongbanTESTapiv3keyNOTFORPROD001"  # a published test key, 32 bytes
TEST_MERCHANT_SERIAL_NO = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
TEST_PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092025120500000000000001"
# The city app (移动应用) bound to the test merchant beside the mini-program, for APP orders.
TEST_MOBILE_APP_ID = "wxrongbanapp00001"


def _pem(name: str) -> str:
    return (TEST_KEYS_DIR / name).read_text(encoding="ascii")


TEST_MERCHANT_PRIVATE_KEY = _pem("merchant_private_key.pem")
TEST_MERCHANT_PUBLIC_KEY = _pem("merchant_public_key.pem")
TEST_PLATFORM_PRIVATE_KEY = _pem("platform_private_key.pem")
TEST_PLATFORM_PUBLIC_KEY = _pem("platform_public_key.pem")
