"""Request and response schemas of the housing API."""
