"""Event types the gateway publishes."""
SOURCE = "gateway"
ACCOUNT_ERASED = "identity.account.erased"
SITE_CREATED = "platform.site.created"
SITE_UPDATED = "platform.site.updated"

PUBLISHED = (ACCOUNT_ERASED, SITE_CREATED, SITE_UPDATED)
