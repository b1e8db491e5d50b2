"""The Veilleuse services: booking, relay, grocery, housing."""
