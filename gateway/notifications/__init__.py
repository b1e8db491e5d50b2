"""The notifier: tells people by e-mail what happens to them, in their language, once per event.

It lives beside identity (addresses, languages) in the gateway: its tables are in the gateway's
database, its queue is consumed by `python -m gateway.worker`, and what a mail needs from a service
(a reservation's requester, a distribution's pickup codes) is read over an internal HTTP call signed
with a service identity. Events and logs never carry an address or a message's content.
"""
