"""Third-party providers: onboarding, their services beside the government's, keys, webhooks."""
