"""The user's own account: logins in two steps, second factors, password, API tokens, sessions.

- ``views`` and ``urls``: the login (password, then the authenticator's code), the Account page
  (authenticator, recovery codes, password, API tokens).
- ``middleware``: session timeouts, and the gate that keeps a half-finished login (or a user
  who must enrol a second factor) away from everything else.
- ``throttling``: failed logins (django-axes) and failed API tokens, counted per address.
- ``security_log``: the ``aims.security`` log of logins, failures, lock-outs and account changes.

Who must have a second factor, and the checks of codes, are in ``aims.mfa``.
"""
