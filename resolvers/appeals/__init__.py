"""12345 appeals (网络理政): filing, moderation, dispatch, handling, deadlines, closing,
duplicates, insights and the Open311 interface."""
