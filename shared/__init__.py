"""Common library of every Veilleuse process: config, database, bus, errors, identity, logging, health."""
